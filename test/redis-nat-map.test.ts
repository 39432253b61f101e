import { afterAll, beforeAll, expect, test } from 'vitest';
import { readyz, startApiProcess } from './harness/api-process.ts';
import { type RedisClusterHandle, startPrivateCluster } from './harness/redis.ts';

/**
 * Nodes that announce addresses the service cannot reach, as behind NAT or in another Docker
 * network: each node announces the host name `shop-redis.invalid` (which never resolves) to
 * clients, while the nodes still reach each other by IP.
 */
const ANNOUNCED_HOST = 'shop-redis.invalid';
let cluster: RedisClusterHandle;

beforeAll(async () => {
  cluster = await startPrivateCluster({
    extraConfig: { 'cluster-announce-hostname': ANNOUNCED_HOST, 'cluster-preferred-endpoint-type': 'hostname' },
  });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

test('without REDIS_NAT_MAP the announced addresses are unreachable; with it the cache uses the cluster', async () => {
  const seeds = cluster.seedString;
  const without = await startApiProcess({ redis: seeds, readyWhen: 'answering' });
  try {
    // The seeds answer, but every slot points at an announced name that does not resolve: it
    // stays degraded and nothing reaches L2, however often it is asked within 3 s.
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      expect((await readyz(without.url)).status).toBe('degraded');
      const res = await fetch(`${without.url}/api/products/5`);
      expect(res.headers.get('cache-status')).not.toMatch(/shop-l2; (hit|fwd=miss; stored)/);
      await res.arrayBuffer();
    }
  } finally {
    await without.stop();
  }

  const natMap = cluster.seeds.map((s) => `${ANNOUNCED_HOST}:${s.port}=127.0.0.1:${s.port}`).join(',');
  const api = await startApiProcess({ redis: seeds, env: { REDIS_NAT_MAP: natMap } });
  try {
    expect((await readyz(api.url)).checks['redis']?.status).toBe('up');
    const res = await fetch(`${api.url}/api/products/5`);
    expect(res.headers.get('cache-status')).toMatch(/shop-l2; fwd=miss; stored/);
  } finally {
    await api.stop();
  }
}, 120_000);
