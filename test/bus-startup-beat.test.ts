import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidationBus } from '../src/cache/invalidation-bus.ts';
import { parseSeeds, sharedClusterSeeds } from './harness/redis.ts';
import { testNamespace, waitFor } from './harness/service.ts';

/**
 * A CI run once failed because a cache's bus never became healthy: its first heartbeats were
 * published while the cluster client was still learning its nodes, failed, and with a one-minute
 * heartbeat the next one was a minute away. Here the bus runs on the real shared cluster with
 * that one-minute heartbeat; its publisher fails the first calls the way a client that is not
 * ready yet does, then publishes for real.
 */
describe('the invalidation bus at start-up', () => {
  let client: Cluster;
  beforeAll(async () => {
    client = new Cluster(parseSeeds(sharedClusterSeeds()), { lazyConnect: true });
    await client.connect();
  });
  afterAll(async () => {
    await client?.quit();
  });

  function bus(failFirst: number) {
    const channel = `${testNamespace()}:bus`;
    let calls = 0;
    const nodes = parseSeeds(sharedClusterSeeds());
    const instance = new InvalidationBus(
      () => nodes,
      async (message) => {
        calls++;
        if (calls <= failFirst) throw new Error('no Redis node known');
        await client.publish(channel, message);
      },
      {
        channel,
        instanceId: testNamespace(),
        heartbeatMs: 60_000,
        connectTimeoutMs: 1_000,
        onMessage() {},
        onGap() {},
        onError() {},
      },
    );
    return { instance, calls: () => calls };
  }

  it('beats again on its own until a heartbeat comes back, instead of waiting a whole heartbeat', async () => {
    const b = bus(3);
    await b.instance.start();
    try {
      // The first three publishes fail; the start-up beats at 0.1 s, 0.3 s, 0.7 s, 1.5 s… go on.
      await waitFor(() => b.instance.healthy, 10_000, 'the first heartbeat to come back');
      expect(b.calls()).toBeGreaterThan(3);
      // Proven: from now on only the heartbeat's own timer beats (a minute away).
      const after = b.calls();
      await new Promise((r) => setTimeout(r, 1_700));
      expect(b.calls()).toBe(after);
      expect(b.instance.status().gaps).toBe(0);
    } finally {
      await b.instance.stop();
    }
  });

  it('stops beating when stopped before the first heartbeat came back', async () => {
    const b = bus(Number.POSITIVE_INFINITY);
    await b.instance.start();
    await waitFor(() => b.calls() >= 2, 10_000, 'two failed beats');
    await b.instance.stop();
    const after = b.calls();
    await new Promise((r) => setTimeout(r, 1_700));
    expect(b.calls()).toBe(after);
    expect(b.instance.healthy).toBe(false);
  });
});
