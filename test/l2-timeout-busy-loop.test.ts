import { type Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TimeoutError } from '../src/cache/errors.ts';
import { GuardedCalls } from '../src/cache/guarded-calls.ts';
import { createRedisCluster } from '../src/cache/redis-client.ts';
import { type CacheObserver, noopObserver } from '../src/cache/types.ts';
import { withTimeout } from '../src/cache/with-timeout.ts';
import { parseSeeds, sharedClusterSeeds } from './harness/redis.ts';

/** A script that holds Redis for 10 ms. */
const WAIT_10_MS = `local s = redis.call('TIME')
local start = s[1] * 1000000 + s[2]
repeat local t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= 10000
return 'done'`;

/**
 * An L2 call's timeout measures Redis, not this process's own busy spells. A timer comes due at
 * the start of an event-loop turn, before the turn reads its sockets, so after synchronous work
 * longer than the timeout (a burst of a thousand requests parsed at once, as in the bench's
 * stampede) a reply that came back in a millisecond would lose to its timer, and a lock that was
 * taken would count as not taken. Found in the bench: a stampede on a slow host logged `lock` and
 * `set` timeouts, and the second process loaded the cold key a second time.
 */
describe('L2 timeouts after the event loop was busy', () => {
  let client: Redis;
  let cluster: Cluster;
  const errors: string[] = [];
  const observer: CacheObserver = {
    ...noopObserver,
    l2Error(op, kind) {
      errors.push(`${op}:${kind}`);
    },
  };
  const guard = () => new GuardedCalls({ timeoutMs: 50, breakerFailureThreshold: 5, breakerOpenMs: 1_000 }, observer);

  beforeAll(async () => {
    const seed = parseSeeds(sharedClusterSeeds())[0]!;
    // A plain node connection (no auto-pipelining): a command is on the wire when the call returns.
    client = new Redis({ host: seed.host, port: seed.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    cluster = createRedisCluster({ seeds: parseSeeds(sharedClusterSeeds()), commandTimeoutMs: 50 });
    await new Promise<void>((resolve) => cluster.once('ready', () => resolve()));
  });

  afterAll(() => {
    client?.disconnect();
    cluster?.disconnect();
  });

  /** Blocks the event loop, as a burst of synchronous request handling does. */
  const busy = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };

  it('a reply that arrived while the loop was blocked past the timeout is a reply, not a timeout', async () => {
    errors.length = 0;
    const calls = guard();
    const reply = calls.call('lock', () => client.echo('taken'));
    busy(200);
    await expect(reply).resolves.toBe('taken');
    expect(errors).toEqual([]);

    const raced = withTimeout(client.echo('written'), 50);
    busy(200);
    await expect(raced).resolves.toBe('written');
  });

  it('a command still queued when the loop was blocked past the timeout gets its full time once sent', async () => {
    errors.length = 0;
    const calls = guard();
    // The cache's cluster client auto-pipelines: the command leaves from the next setImmediate, so
    // while the loop is blocked it is not on the wire at all, and the timer comes due late. Redis
    // then takes 10 ms over it (a script that waits), well within the 50 ms timeout.
    const reply = calls.call('tag', () => cluster.eval(WAIT_10_MS, 0));
    busy(200);
    await expect(reply).resolves.toBe('done');
    expect(errors).toEqual([]);
  });

  it('a reply that does not come within the timeout is still a timeout, counted', async () => {
    errors.length = 0;
    const calls = guard();
    // BLPOP on a key nobody pushes to: Redis holds the reply for a second.
    const blocked = new Redis({ host: client.options.host, port: client.options.port, maxRetriesPerRequest: 0 });
    try {
      const started = performance.now();
      await expect(calls.call('get', () => blocked.blpop('busy-loop-test:never', 1))).rejects.toMatchObject({
        kind: 'timeout',
      });
      expect(performance.now() - started).toBeLessThan(500);
      expect(errors).toEqual(['get:timeout']);
      await expect(withTimeout(blocked.blpop('busy-loop-test:never', 1), 50)).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      blocked.disconnect();
    }
  });
});
