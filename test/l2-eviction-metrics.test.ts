/**
 * What Redis drops on its own shows in cache_evictions_total{tier="l2"}: keys it expires
 * (reason="expired") and keys it evicts at maxmemory (reason="evicted"), labelled with the
 * cache prefix, counted from keyspace notifications the service turns on and subscribes to
 * on every master. A private cluster with a 2 MB maxmemory, so the shared one is never full.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisClusterHandle, startPrivateCluster } from './harness/redis.ts';
import { startTestService, type TestService, waitFor } from './harness/service.ts';
import { parseExposition, type Sample, sampleValue } from './helpers/prometheus-server.ts';

const PREFIXES = ['product', 'category', 'catalog', 'search', 'popular', 'other'];

async function scrape(svc: TestService): Promise<Sample[]> {
  const res = await svc.request('/metrics');
  expect(res.status).toBe(200);
  return parseExposition(await res.text()).samples;
}

const l2Evictions = (samples: Sample[], prefix: string, reason: 'evicted' | 'expired') =>
  sampleValue(samples, 'cache_evictions_total', { tier: 'l2', prefix, reason });

async function onEachMaster<T>(cluster: RedisClusterHandle, fn: (client: Redis) => Promise<T>): Promise<T[]> {
  const masters = await cluster.masters();
  return Promise.all(
    masters.map(async (m) => {
      const client = new Redis({ host: '127.0.0.1', port: m.port, lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await client.connect();
        return await fn(client);
      } finally {
        client.disconnect();
      }
    }),
  );
}

async function get(svc: TestService, path: string): Promise<void> {
  const res = await svc.request(path);
  await res.arrayBuffer();
  expect(res.status).toBe(200);
}

describe('L2 evictions and expirations from keyspace notifications', () => {
  let cluster: RedisClusterHandle;

  beforeAll(async () => {
    cluster = await startPrivateCluster({
      maxmemoryBytes: 2 * 1024 * 1024,
      maxmemoryPolicy: 'allkeys-lru',
      // Off, so the assertion below proves the service turns notifications on itself.
      extraConfig: { 'notify-keyspace-events': '' },
    });
    // An empty cluster node already uses ~2 MB (replication backlog, cluster state), so a fixed
    // 2 MB limit would evict every key at once: the limit becomes what each master uses now + 1 MB.
    await onEachMaster(cluster, async (c) => {
      const used = Number(/used_memory:(\d+)/.exec(await c.info('memory'))?.[1]);
      expect(used).toBeGreaterThan(0);
      await c.config('SET', 'maxmemory', String(used + 1024 * 1024));
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('keys Redis expires are counted per prefix as reason="expired"', async () => {
    const before = await onEachMaster(
      cluster,
      async (c) => (await c.config('GET', 'notify-keyspace-events')) as string[],
    );
    for (const [, value] of before) expect(value).toBe('');

    // Product entries live 300 ms fresh + 600 ms stale at this scale, in L2 as in L1.
    const svc = await startTestService({ redis: cluster.seedString, env: { CACHE_TTL_SCALE: '0.001' } });
    try {
      // One subscriber per master, each having set notify-keyspace-events on its node.
      await waitFor(
        async () => {
          const states = await onEachMaster(cluster, async (c) => {
            const [, flags] = (await c.config('GET', 'notify-keyspace-events')) as [string, string];
            const [, subscribers] = (await c.pubsub('NUMSUB', '__keyevent@0__:expired')) as [string, number];
            return /E/.test(flags) && /x/.test(flags) && /e/.test(flags) && subscribers >= 1;
          });
          return states.length === 3 && states.every(Boolean);
        },
        10_000,
        'notifications on and a subscriber on each of the 3 masters',
        100,
      );

      const start = await scrape(svc);
      for (let id = 1; id <= 40; id++) await get(svc, `/api/products/${id}`);
      // Nothing reads them again: Redis's own expiry cycle must find them.
      let now: Sample[] = start;
      await waitFor(
        async () => {
          now = await scrape(svc);
          return l2Evictions(now, 'product', 'expired') - l2Evictions(start, 'product', 'expired') >= 40;
        },
        15_000,
        '40 product keys expired in Redis',
        200,
      );
      expect(l2Evictions(now, 'product', 'expired') - l2Evictions(start, 'product', 'expired')).toBe(40);
      for (const prefix of PREFIXES) expect(l2Evictions(now, prefix, 'evicted'), prefix).toBe(0);
    } finally {
      await svc.close();
    }
  });

  it('keys Redis evicts at maxmemory are counted per prefix as reason="evicted"', async () => {
    const svc = await startTestService({ redis: cluster.seedString, env: { SEED_PRODUCTS: '1000' } });
    try {
      const redisEvicted = async () =>
        (
          await onEachMaster(cluster, async (c) => Number(/evicted_keys:(\d+)/.exec(await c.info('stats'))?.[1] ?? 0))
        ).reduce((a, b) => a + b, 0);
      const redisBefore = await redisEvicted();
      const start = await scrape(svc);
      const counted = (s: Sample[]) =>
        PREFIXES.reduce((n, p) => n + l2Evictions(s, p, 'evicted') - l2Evictions(start, p, 'evicted'), 0);

      // Distinct catalogue pages of 100 products (tens of KB each) until Redis has to evict.
      let now: Sample[] = start;
      let pages = 0;
      await waitFor(
        async () => {
          const batch = Array.from(
            { length: 20 },
            () => `/api/products?limit=100&page=${1 + (pages % 10)}&maxPrice=${100_000 + pages++}`,
          );
          await Promise.all(batch.map((path) => get(svc, path)));
          now = await scrape(svc);
          return counted(now) > 0;
        },
        30_000,
        'Redis to evict cache entries',
        0,
      );
      // Keyspace events arrive after the command that caused them: let the count settle.
      await new Promise((r) => setTimeout(r, 300));
      now = await scrape(svc);

      const ours = counted(now);
      const redisTotal = (await redisEvicted()) - redisBefore;
      console.log(
        `L2 eviction: ${pages} catalogue pages written; counted ${ours} evicted entries (catalog ${l2Evictions(now, 'catalog', 'evicted') - l2Evictions(start, 'catalog', 'evicted')}); Redis evicted ${redisTotal} keys in all`,
      );
      expect(l2Evictions(now, 'catalog', 'evicted') - l2Evictions(start, 'catalog', 'evicted')).toBeGreaterThan(0);
      // Only value keys count (not versions, locks or tags), and never under a prefix that is not ours.
      expect(ours).toBeLessThanOrEqual(redisTotal);
      expect(l2Evictions(now, 'other', 'evicted') - l2Evictions(start, 'other', 'evicted')).toBe(0);
      // Still serving: an evicted entry is a miss, not an error.
      expect(sampleValue(now, 'cache_l2_circuit_state')).toBe(0);
    } finally {
      await svc.close();
    }
  });
});
