import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ApiProcess, getMetrics, metricValue, startApiProcess } from './harness/api-process.ts';
import { expectProblem, timed } from './harness/outage-requests.ts';
import { sharedClusterSeeds } from './harness/redis.ts';
import { waitFor } from './harness/service.ts';

// CACHE_TTL_SCALE 0.005: a product is fresh for 1.5 s (+10% jitter) and may be served stale for 3 s more.
const FRESH_MAX_MS = 1_650;

describe('SQLite unreadable', () => {
  let api: ApiProcess;
  beforeAll(async () => {
    api = await startApiProcess({
      redis: sharedClusterSeeds(),
      env: { CACHE_TTL_SCALE: '0.005', DATABASE_BUSY_TIMEOUT_MS: '100' },
    });
  });
  afterAll(async () => {
    await api?.stop();
  });

  /**
   * A WAL reader cannot be locked out by another connection (each holds a SHARED lock on the file
   * for as long as it is open, so an EXCLUSIVE locking-mode connection is refused), so the
   * failure is made by renaming the products table from another connection: the service's
   * next read fails inside SQLite ("no such table"), exactly as if the table could not be read.
   */
  test('a cached product past its fresh time is served stale while the refresh fails; an uncached one gets a quick 503 problem', async () => {
    const cached = await fetch(`${api.url}/api/products/3`);
    expect(cached.status).toBe(200);
    const before = (await cached.json()) as { price: { amount: number } };
    // A second past freshness, so Cache-Status (whole seconds) shows a negative ttl.
    await new Promise((r) => setTimeout(r, FRESH_MAX_MS + 1_100));
    const errorsBefore = metricValue(await getMetrics(api.url), 'cache_loads_total', {
      prefix: 'product',
      result: 'error',
    });

    const saboteur = new Database(api.databasePath);
    saboteur.exec('ALTER TABLE products RENAME TO products_unreadable');
    try {
      const stale = await fetch(`${api.url}/api/products/3`);
      expect(stale.status).toBe(200);
      const cacheStatus = stale.headers.get('cache-status') ?? '';
      expect(cacheStatus).toMatch(/ttl=-\d+; detail=stale/);
      expect(((await stale.json()) as { price: { amount: number } }).price.amount).toBe(before.price.amount);
      // The stale answer is fail-safe, not luck: the background refresh really failed.
      await waitFor(
        async () =>
          metricValue(await getMetrics(api.url), 'cache_loads_total', { prefix: 'product', result: 'error' }) >
          errorsBefore,
        5_000,
        'a failed product load to be counted',
      );

      const { res, ms } = await timed(`${api.url}/api/products/4`);
      const problem = await expectProblem(res, 503);
      expect(problem.type).toBe('/problems/store-unavailable');
      // No hang: the failure is immediate (no lock wait), bounded generously for a loaded machine.
      expect(ms).toBeLessThan(2_000);

      // Still within grace: the same stale answer again, never an error.
      const again = await fetch(`${api.url}/api/products/3`);
      expect(again.status).toBe(200);
      console.log(
        JSON.stringify({
          test: 'sqlite-unavailable',
          variant: 'table unreadable',
          staleCacheStatus: cacheStatus,
          uncached503Ms: Math.round(ms),
        }),
      );
    } finally {
      saboteur.exec('ALTER TABLE products_unreadable RENAME TO products');
      saboteur.close();
    }
    expect((await fetch(`${api.url}/api/products/4`)).status).toBe(200);
    await waitFor(
      async () =>
        !((await fetch(`${api.url}/api/products/3`)).headers.get('cache-status') ?? '').includes('detail=stale'),
      5_000,
      'product 3 to be fresh again once SQLite answers',
    );
  }, 30_000);

  test('another process holding the write lock: an order gets a 503 problem after DATABASE_BUSY_TIMEOUT_MS, cached reads keep answering', async () => {
    expect((await fetch(`${api.url}/api/products/7`)).status).toBe(200);
    const locker = new Database(api.databasePath);
    locker.exec('BEGIN IMMEDIATE');
    let orderMs: number;
    try {
      const { res, ms } = await timed(`${api.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          customer: { name: 'Locked Out', email: 'locked@example.com' },
          items: [{ productId: 7, quantity: 1 }],
        }),
      });
      orderMs = ms;
      const problem = await expectProblem(res, 503);
      expect(problem.type).toBe('/problems/store-unavailable');
      expect(ms).toBeLessThan(2_000);
      // WAL: a held write lock does not stop readers.
      expect((await fetch(`${api.url}/api/products/7`)).status).toBe(200);
      expect((await fetch(`${api.url}/api/products?page=2&limit=13`)).status).toBe(200);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    const retried = await fetch(`${api.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        customer: { name: 'Locked Out', email: 'locked@example.com' },
        items: [{ productId: 7, quantity: 1 }],
      }),
    });
    expect(retried.status).toBe(201);
    console.log(
      JSON.stringify({
        test: 'sqlite-unavailable',
        variant: 'write lock held elsewhere',
        busyTimeoutMs: 100,
        order503Ms: Math.round(orderMs),
      }),
    );
  }, 30_000);
});
