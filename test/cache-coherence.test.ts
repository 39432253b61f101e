import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deferred, startTestCache } from './harness/cache.ts';
import { adminHeaders, startTestService, type TestService, testNamespace, waitFor } from './harness/service.ts';

type Runtime = Awaited<ReturnType<typeof startTestCache>>;

describe('coherence between instances sharing the L2', () => {
  const namespace = testNamespace();
  let a: TestService;
  let b: TestService;
  beforeAll(async () => {
    a = await startTestService({ namespace, listen: true });
    b = await startTestService({ namespace, databasePath: a.databasePath, listen: true });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const priceOn = async (s: TestService, id: number) =>
    ((await (await s.request(`/api/products/${id}`)).json()) as { price: { amount: number } }).price.amount;

  it('shows a price change made through A on B within 100 ms', async () => {
    const id = 11;
    const delays: number[] = [];
    for (let round = 1; round <= 9; round++) {
      await priceOn(b, id);
      expect((await b.request(`/api/products/${id}`)).headers.get('cache-status')).toMatch(/^shop-l1; hit/);
      const price = 12_300 + round;
      const res = await a.request(`/admin/products/${id}`, {
        method: 'PATCH',
        headers: adminHeaders,
        body: JSON.stringify({ price: { amount: price, currency: 'EUR' } }),
      });
      expect(res.status).toBe(200);
      const written = Date.now();
      await waitFor(async () => (await priceOn(b, id)) === price, 1_000, 'B to serve the new price', 2);
      delays.push(Date.now() - written);
    }
    delays.sort((x, y) => x - y);
    console.log(JSON.stringify({ propagationMs: { median: delays[4], max: delays[8] } }));
    // The median, not the maximum: a shared 2-core machine may stall any single round.
    expect(delays[4]).toBeLessThanOrEqual(100);
  });

  it('never lets B serve an older price once a write has returned and its invalidation arrived', async () => {
    const id = 12;
    let stop = false;
    let latestConfirmed = 0;
    const violations: string[] = [];
    const seen: number[] = [];
    const delays: number[] = [];
    // Readers race the writer on B the whole time, keeping the key hot in every tier.
    const readers = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const floor = latestConfirmed;
        const price = await priceOn(b, id);
        seen.push(price);
        if (price < floor) violations.push(`read ${price} after ${floor} was confirmed`);
      }
    });
    try {
      for (let round = 1; round <= 25; round++) {
        const price = 10_000 + round;
        const res = await a.request(`/admin/products/${id}`, {
          method: 'PATCH',
          headers: adminHeaders,
          body: JSON.stringify({ price: { amount: price, currency: 'EUR' } }),
        });
        expect(res.status).toBe(200);
        const t0 = Date.now();
        await waitFor(async () => (await priceOn(b, id)) === price, 1_000, `B to serve ${price}`, 2);
        delays.push(Date.now() - t0);
        latestConfirmed = price;
      }
    } finally {
      stop = true;
      await Promise.all(readers);
    }
    expect(violations).toEqual([]);
    expect(seen.length).toBeGreaterThan(100);
    // Propagation under this read load is reported, not asserted: the 100 ms promise is checked
    // by the quiet test above, and this one is about never going back to an old value.
    delays.sort((x, y) => x - y);
    console.log(JSON.stringify({ propagationUnderLoadMs: { median: delays[12], p95: delays[23], max: delays[24] } }));
  });
});

describe('read-during-write race', () => {
  const namespace = testNamespace();
  let a: Runtime;
  let b: Runtime;
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestCache({ namespace }), startTestCache({ namespace })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('does not put back a value loaded before an invalidation, in L1 or in L2', async () => {
    const key = a.cache.key('beta', 'race', Date.now());
    let source = 'old';
    const gate = deferred<void>();
    const loading = deferred<void>();
    const slowRead = a.cache.get(key, async () => {
      const value = source; // read from the "database" before the write
      loading.resolve();
      await gate.promise;
      return value;
    });
    await loading.promise; // the write comes after the read has read the source, whatever the L2 round trips took
    source = 'new';
    await a.cache.invalidate({ keys: [key] });
    gate.resolve();
    const raced = await slowRead;
    expect(raced.value).toBe('old'); // the caller that started first may see the old value...
    expect(raced.storedL1).toBe(false); // ...but it must not be kept
    expect(raced.storedL2).toBe(false);
    const after = await a.cache.get(key, async () => source);
    expect(after.value).toBe('new');
    const elsewhere = await b.cache.get(key, async () => source);
    expect(elsewhere.value).toBe('new');
  });

  it('rejects a stale L2 write from another instance whose load began before the write', async () => {
    const key = a.cache.key('beta', 'race-remote', Date.now());
    let source = 'old';
    const started = deferred<void>();
    const gate = deferred<void>();
    const slowOnB = b.cache.get(key, async () => {
      const value = source;
      started.resolve();
      await gate.promise;
      return value;
    });
    await started.promise; // B has read the old value and holds it
    source = 'new';
    await a.cache.invalidate({ keys: [key] });
    gate.resolve();
    await slowOnB;
    const fresh = await a.cache.get(key, async () => source);
    expect(fresh.value).toBe('new');
    // Whatever B's late load kept, B serves the new value once A's invalidation reaches it (bus lag).
    await waitFor(
      async () => (await b.cache.get(key, async () => source)).value === 'new',
      1_000,
      'B to read the new value',
    );
  });

  it('drops every page of a tag group on both instances with one bump', async () => {
    const pages = [1, 2, 3].map((p) => a.cache.key('alpha', 'page', p));
    let version = 'v1';
    for (const k of pages) {
      await a.cache.get(k, async () => version, { tags: ['alpha:group'] });
      await b.cache.get(k, async () => version, { tags: ['alpha:group'] });
    }
    version = 'v2';
    await a.cache.invalidate({ tags: ['alpha:group'] });
    await waitFor(
      () => b.cache.get(pages[0]!, async () => version, { tags: ['alpha:group'] }) instanceof Promise,
      500,
      'B to see the tag bump',
    );
    for (const k of pages) {
      expect((await a.cache.get(k, async () => version, { tags: ['alpha:group'] })).value).toBe('v2');
      expect((await b.cache.get(k, async () => version, { tags: ['alpha:group'] })).value).toBe('v2');
    }
  });
});
