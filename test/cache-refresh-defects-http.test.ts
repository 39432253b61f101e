import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './harness/api-process.ts';
import { parseSeeds, sharedClusterSeeds } from './harness/redis.ts';
import { adminHeaders, waitFor } from './harness/service.ts';

/**
 * The two read-path defects of issue 10 through HTTP, on the compiled service. Tiny TTLs
 * (products fresh ~3 s, grace 6 s) and an L1 of one entry, so reading another product evicts.
 */
let api: ApiProcess;
let redis: Cluster;

beforeAll(async () => {
  api = await startApiProcess({
    redis: sharedClusterSeeds(),
    env: { CACHE_TTL_SCALE: '0.01', CACHE_L1_MAX_ENTRIES: '1', CACHE_LOCK_WAIT_MS: '3000' },
  });
  redis = new Cluster(parseSeeds(sharedClusterSeeds()));
});

afterAll(async () => {
  await api?.stop();
  redis?.disconnect();
});

const get = async (path: string) => {
  const res = await fetch(api.url + path);
  await res.arrayBuffer();
  return { status: res.status, cacheStatus: res.headers.get('cache-status') ?? '' };
};

async function l1FreshForMs(full: string): Promise<number> {
  const res = await fetch(`${api.url}/admin/cache/inspect?key=${encodeURIComponent(full)}`, { headers: adminHeaders });
  const body = (await res.json()) as { l1: { present: boolean; freshForMs?: number } };
  if (!body.l1.present || body.l1.freshForMs === undefined) throw new Error(`${full} is not in L1`);
  return body.l1.freshForMs;
}

describe('background refresh through HTTP', () => {
  it('a read joining a background refresh after L1 evicted the entry answers 200, not 500', async () => {
    expect((await get('/api/products/1')).status).toBe(200);
    const freshFor = await l1FreshForMs('product:1');
    await new Promise((r) => setTimeout(r, freshFor + 50));
    // Another instance holds the load lock, so our background refresh waits (up to CACHE_LOCK_WAIT_MS).
    await redis.set(`${api.namespace}:{product:1}:l`, 'another-instance', 'PX', 5_000);
    const stale = await get('/api/products/1');
    expect(stale.status).toBe(200);
    expect(stale.cacheStatus).toContain('detail=stale');
    expect((await get('/api/products/2')).status).toBe(200); // evicts product 1 from the one-entry L1
    const joined = await get('/api/products/1');
    expect(joined.status).toBe(200);
  });

  it('a stale entry found in L2 is refreshed: a fresh answer follows within a second, not after grace', async () => {
    expect((await get('/api/products/3')).status).toBe(200);
    const freshFor = await l1FreshForMs('product:3');
    expect((await get('/api/products/4')).status).toBe(200); // evicts product 3 from L1
    await new Promise((r) => setTimeout(r, freshFor + 50));
    const stale = await get('/api/products/3');
    expect(stale.status).toBe(200);
    expect(stale.cacheStatus).toMatch(/^shop-l2; hit; ttl=-\d+; detail=stale/);
    // Grace is 6 s: without a refresh every read here would stay stale.
    await waitFor(
      async () => {
        const next = await get('/api/products/3');
        expect(next.status).toBe(200);
        return !next.cacheStatus.includes('detail=stale');
      },
      1_500,
      'a fresh answer for product 3 after its background refresh',
    );
  });
});
