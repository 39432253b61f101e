import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withNodeClient } from '../src/redis-cluster/node-client.ts';
import { waitUntil } from '../src/redis-cluster/wait.ts';
import { type RedisClusterHandle, sharedClusterSeeds, startPrivateCluster } from './harness/redis.ts';

function clusterClient(seedString: string): Cluster {
  const seeds = seedString.split(',').map((seed) => {
    const [host = '', port = ''] = seed.split(':');
    return { host, port: Number(port) };
  });
  return new Cluster(seeds, { slotsRefreshTimeout: 2_000, redisOptions: { connectTimeout: 1_000 } });
}

describe('shared cluster from global setup', () => {
  // No FLUSHALL here: other test files use this cluster at the same time.
  it('serves reads and writes on every slot range', async () => {
    const client = clusterClient(sharedClusterSeeds());
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `launcher-test:shared:${i}`);
      await Promise.all(keys.map((k, i) => client.set(k, `rose-${i}`, 'PX', 60_000)));
      expect(await Promise.all(keys.map((k) => client.get(k)))).toEqual(keys.map((_, i) => `rose-${i}`));
      await Promise.all(keys.map((k) => client.del(k)));
      expect(await client.get('launcher-test:shared:0')).toBeNull();
    } finally {
      client.disconnect();
    }
  });
});

// A private cluster: these tests kill nodes, which must not disturb other files.
describe('startRedisCluster (real redis-server processes)', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;
  const key = 'launcher-test:tulip';
  let killedPort: number;

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    client = clusterClient(cluster.seedString);
  });

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('forms 3 masters with one synced replica each', async () => {
    const nodes = await cluster.nodes();
    const masters = nodes.filter((node) => node.role === 'master');
    const replicas = nodes.filter((node) => node.role === 'replica');
    expect(masters).toHaveLength(3);
    expect(replicas).toHaveLength(3);
    expect(masters.reduce((sum, node) => sum + node.slotCount, 0)).toBe(16_384);
    expect(new Set(replicas.map((replica) => replica.masterNodeId))).toEqual(
      new Set(masters.map((master) => master.nodeId)),
    );
    expect(cluster.seeds).toHaveLength(6);
    expect(cluster.seeds.every((seed) => seed.host === '127.0.0.1' && seed.port !== 6379)).toBe(true);
  });

  it('serves a key through an ioredis Cluster client', async () => {
    await client.set(key, 'red');
    expect(await client.get(key)).toBe('red');
  });

  it('promotes a replica when the master owning the key is killed', async () => {
    const slot = Number(await withNodeClient(cluster.seeds[0]!.port, (node) => node.cluster('KEYSLOT', key)));
    const nodes = await cluster.nodes();
    const owner = nodes.find(
      (node) => node.role === 'master' && node.slotRanges.some(([start, end]) => slot >= start && slot <= end),
    );
    const replica = nodes.find((node) => node.masterNodeId === owner?.nodeId);
    if (owner === undefined || replica === undefined) throw new Error(`no owner/replica found for slot ${slot}`);

    // Replication is asynchronous: only kill once the replica holds the key.
    await waitUntil(
      'the replica to hold the key',
      () =>
        withNodeClient(replica.port, async (node) => {
          await node.readonly();
          return (await node.get(key)) === 'red' || 'missing';
        }),
      { timeoutMs: 5_000 },
    );

    killedPort = owner.port;
    const killedAt = Date.now();
    await cluster.killNode(owner.port);
    await waitUntil(
      'the replica to be promoted',
      async () => {
        const promoted = (await cluster.nodes()).find((node) => node.port === replica.port);
        return (promoted?.role === 'master' && promoted.slotCount > 0) || `replica role ${promoted?.role}`;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    console.info(`failover took ${Date.now() - killedAt} ms`);
    await cluster.waitForClusterOk(10_000);

    // The long-lived client has to notice the topology change on its own.
    await waitUntil(
      'the key to be readable after failover',
      async () => (await client.get(key)) === 'red' || 'wrong value',
      {
        timeoutMs: 10_000,
        intervalMs: 200,
      },
    );
  });

  it('restartNode brings the killed master back as a replica', async () => {
    const restartedAt = Date.now();
    await cluster.restartNode(killedPort);
    await waitUntil(
      'the restarted node to become a replica',
      async () => {
        const node = (await cluster.nodes()).find((candidate) => candidate.port === killedPort);
        return node?.role === 'replica' || `role ${node?.role}`;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    await cluster.waitForClusterOk(10_000);
    await cluster.waitForReplicasSynced(10_000);
    console.info(`rejoin as replica took ${Date.now() - restartedAt} ms`);
    const restarted = (await cluster.nodes()).find((node) => node.port === killedPort);
    expect(restarted?.running).toBe(true);
    expect(restarted?.pid).toBeGreaterThan(0);
  });

  it('stopAll + startAll brings cluster_state back to ok', async () => {
    await cluster.stopAll();
    expect((await Promise.allSettled([cluster.nodes()]))[0]?.status).toBe('rejected');
    const startedAt = Date.now();
    await cluster.startAll();
    await cluster.waitForClusterOk(30_000);
    console.info(`cluster ok ${Date.now() - startedAt} ms after startAll`);
    expect(await cluster.masters()).toHaveLength(3);
    await waitUntil(
      'a write to succeed after restart',
      async () => (await client.set(key, 'white')) === 'OK' || 'not OK',
      {
        timeoutMs: 10_000,
        intervalMs: 200,
      },
    );
    expect(await client.get(key)).toBe('white');
  });
});
