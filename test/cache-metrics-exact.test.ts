/**
 * The cache counters in /metrics count exactly what happened: every lookup per tier and
 * result, every load, every eviction with its reason, every invalidation with its source,
 * and the L1 gauges match what L1 holds. Read from the exposition text, through the service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, startTestService, type TestService, testNamespace, waitFor } from './harness/service.ts';
import { type Labels, parseExposition, type Sample, sampleValue, valueOrZero } from './helpers/prometheus-server.ts';

async function scrape(svc: TestService): Promise<Sample[]> {
  const res = await svc.request('/metrics');
  expect(res.status).toBe(200);
  return parseExposition(await res.text()).samples;
}

/** Change of one series between two scrapes; throws if the series is missing from either. */
function delta(before: Sample[], after: Sample[], name: string, labels: Labels): number {
  return sampleValue(after, name, labels) - sampleValue(before, name, labels);
}

const req = (tier: string, result: string, prefix = 'product') => ({ tier, prefix, result });
const evict = (tier: string, reason: string, prefix = 'product') => ({ tier, prefix, reason });

async function getProduct(svc: TestService, id: number): Promise<void> {
  const res = await svc.request(`/api/products/${id}`);
  await res.arrayBuffer();
  expect(res.status).toBe(200);
}

/**
 * The harness beats every 100 ms and a silence of 3 beats counts as a bus gap, which clears L1
 * (counted as invalidations): on a loaded machine that can land between two reads here. Slower
 * beats keep exact counts about what the test does.
 */
const env = { CACHE_BUS_HEARTBEAT_MS: '500' };

describe('two instances sharing a namespace', () => {
  let a: TestService;
  let b: TestService;
  const ns = testNamespace();

  beforeAll(async () => {
    a = await startTestService({ namespace: ns, env });
    b = await startTestService({ namespace: ns, databasePath: a.databasePath, env });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('three reads of a cold product: one miss in each tier, one load, then two L1 hits', async () => {
    const before = await scrape(a);
    for (let i = 0; i < 3; i++) await getProduct(a, 17);
    const after = await scrape(a);

    expect(delta(before, after, 'cache_requests_total', req('l1', 'miss'))).toBe(1);
    expect(delta(before, after, 'cache_requests_total', req('l1', 'hit'))).toBe(2);
    expect(delta(before, after, 'cache_requests_total', req('l1', 'stale'))).toBe(0);
    expect(delta(before, after, 'cache_requests_total', req('l2', 'miss'))).toBe(1);
    expect(delta(before, after, 'cache_requests_total', req('l2', 'hit'))).toBe(0);
    expect(delta(before, after, 'cache_loads_total', { prefix: 'product', result: 'success' })).toBe(1);
    expect(delta(before, after, 'cache_loads_total', { prefix: 'product', result: 'error' })).toBe(0);
    expect(delta(before, after, 'cache_coalesced_requests_total', { prefix: 'product' })).toBe(0);
    // The load's duration is observed once, with the load (prom-client creates the histogram series on first use).
    const loadCount = { prefix: 'product' };
    expect(
      sampleValue(after, 'cache_load_duration_seconds_count', loadCount) -
        valueOrZero(before, 'cache_load_duration_seconds_count', loadCount),
    ).toBe(1);
    expect(sampleValue(after, 'cache_l2_circuit_state')).toBe(0);
  });

  it('the other instance reading it misses L1, hits L2 and does not load', async () => {
    const before = await scrape(b);
    await getProduct(b, 17);
    const after = await scrape(b);

    expect(delta(before, after, 'cache_requests_total', req('l1', 'miss'))).toBe(1);
    expect(delta(before, after, 'cache_requests_total', req('l2', 'hit'))).toBe(1);
    expect(delta(before, after, 'cache_requests_total', req('l2', 'miss'))).toBe(0);
    expect(delta(before, after, 'cache_loads_total', { prefix: 'product', result: 'success' })).toBe(0);
    expect(sampleValue(after, 'cache_entries', { tier: 'l1', prefix: 'product' })).toBeGreaterThanOrEqual(1);
  });

  it('an admin PATCH counts a local invalidation here, a remote one there, and an "invalidated" L1 eviction on both', async () => {
    const aBefore = await scrape(a);
    const bBefore = await scrape(b);
    const res = await a.request('/admin/products/17', {
      method: 'PATCH',
      headers: adminHeaders,
      body: JSON.stringify({ stock: 42 }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();

    const product = { prefix: 'product' };
    // The bus delivers asynchronously; wait for the remote side to apply the key.
    let bAfter: Sample[] = bBefore;
    await waitFor(
      async () => {
        bAfter = await scrape(b);
        return delta(bBefore, bAfter, 'cache_invalidations_total', { ...product, source: 'remote' }) > 0;
      },
      5_000,
      'the remote invalidation of product:17 on instance b',
    );
    const aAfter = await scrape(a);

    expect(delta(aBefore, aAfter, 'cache_invalidations_total', { ...product, source: 'local' })).toBe(1);
    expect(delta(aBefore, aAfter, 'cache_invalidations_total', { ...product, source: 'remote' })).toBe(0);
    expect(delta(aBefore, aAfter, 'cache_evictions_total', evict('l1', 'invalidated'))).toBe(1);
    // The PATCH also bumps the two catalogue tags (all + its category) and the search prefix.
    expect(delta(aBefore, aAfter, 'cache_invalidations_total', { prefix: 'catalog', source: 'local' })).toBe(2);
    expect(delta(aBefore, aAfter, 'cache_invalidations_total', { prefix: 'search', source: 'local' })).toBe(1);

    expect(delta(bBefore, bAfter, 'cache_invalidations_total', { ...product, source: 'remote' })).toBe(1);
    expect(delta(bBefore, bAfter, 'cache_invalidations_total', { ...product, source: 'local' })).toBe(0);
    expect(delta(bBefore, bAfter, 'cache_evictions_total', evict('l1', 'invalidated'))).toBe(1);
    expect(delta(bBefore, bAfter, 'cache_entries', { tier: 'l1', prefix: 'product' })).toBe(-1);
    // Evictions caused by a write are not confused with size or TTL evictions.
    expect(delta(aBefore, aAfter, 'cache_evictions_total', evict('l1', 'size'))).toBe(0);
    expect(delta(aBefore, aAfter, 'cache_evictions_total', evict('l1', 'expired'))).toBe(0);
  });

  it('concurrent reads of a cold key: one load, the others counted as coalesced', async () => {
    const before = await scrape(a);
    // In-process requests all reach the cache before the first one's Redis round trip returns.
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => Promise.resolve(a.service.app.request('/api/products/23'))),
    );
    for (const r of responses) {
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
    const after = await scrape(a);

    expect(delta(before, after, 'cache_requests_total', req('l1', 'miss'))).toBe(10);
    expect(delta(before, after, 'cache_requests_total', req('l2', 'miss'))).toBe(1);
    expect(delta(before, after, 'cache_coalesced_requests_total', { prefix: 'product' })).toBe(9);
    expect(delta(before, after, 'cache_loads_total', { prefix: 'product', result: 'success' })).toBe(1);
  });
});

describe('L1 bounded to 5 entries', () => {
  let c: TestService;
  beforeAll(async () => {
    // Plain LRU, so "the 5 most recent" is what stays (TinyLFU would keep earlier ones it saw as often).
    c = await startTestService({ env: { ...env, CACHE_L1_MAX_ENTRIES: '5', CACHE_L1_ADMISSION: 'lru' } });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('20 distinct products evict exactly 15 for size; cache_entries and cache_size_bytes describe what is left', async () => {
    const before = await scrape(c);
    for (let id = 101; id <= 120; id++) await getProduct(c, id);
    const after = await scrape(c);

    expect(delta(before, after, 'cache_evictions_total', evict('l1', 'size'))).toBe(20 - 5);
    expect(delta(before, after, 'cache_evictions_total', evict('l1', 'expired'))).toBe(0);
    expect(delta(before, after, 'cache_evictions_total', evict('l1', 'invalidated'))).toBe(0);
    expect(sampleValue(after, 'cache_entries', { tier: 'l1', prefix: 'product' })).toBe(5);
    for (const prefix of ['category', 'catalog', 'search', 'popular', 'other']) {
      expect(sampleValue(after, 'cache_entries', { tier: 'l1', prefix })).toBe(0);
    }

    // The byte gauge equals the sizes of the entries L1 still holds: the 5 most recent.
    let bytes = 0;
    for (let id = 101; id <= 120; id++) {
      const res = await c.request(`/admin/cache/inspect?key=product:${id}`, { headers: adminHeaders });
      const body = (await res.json()) as { l1: { present: boolean; bytes?: number } };
      expect(body.l1.present, `product:${id} in L1`).toBe(id > 115);
      bytes += body.l1.bytes ?? 0;
    }
    expect(bytes).toBeGreaterThan(0);
    expect(sampleValue(after, 'cache_size_bytes', { tier: 'l1' })).toBe(bytes);
  });
});

describe('short TTLs (CACHE_TTL_SCALE=0.001)', () => {
  let d: TestService;
  beforeAll(async () => {
    d = await startTestService({ env: { ...env, CACHE_TTL_SCALE: '0.001' } });
  });
  afterAll(async () => {
    await d?.close();
  });

  it('reading an entry past its stale time counts an "expired" L1 eviction', async () => {
    await getProduct(d, 31);
    const inspect = await d.request('/admin/cache/inspect?key=product:31', { headers: adminHeaders });
    const { l1 } = (await inspect.json()) as { l1: { present: boolean; staleForMs?: number } };
    expect(l1.present).toBe(true);
    // Product: fresh 300 ms + grace 600 ms at this scale; lru-cache drops it once that is over.
    await new Promise((r) => setTimeout(r, (l1.staleForMs ?? 0) + 100));

    const before = await scrape(d);
    await getProduct(d, 31);
    const after = await scrape(d);

    expect(delta(before, after, 'cache_evictions_total', evict('l1', 'expired'))).toBe(1);
    expect(delta(before, after, 'cache_evictions_total', evict('l1', 'size'))).toBe(0);
    expect(delta(before, after, 'cache_requests_total', req('l1', 'miss'))).toBe(1);
    expect(delta(before, after, 'cache_requests_total', req('l1', 'stale'))).toBe(0);
    expect(delta(before, after, 'cache_loads_total', { prefix: 'product', result: 'success' })).toBe(1);
    expect(sampleValue(after, 'cache_entries', { tier: 'l1', prefix: 'product' })).toBe(1);
  });
});
