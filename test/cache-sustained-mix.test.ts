import { afterAll, beforeAll, expect, test } from 'vitest';
import { type ApiProcess, getMetrics, metricValue, runReadLoad, startApiProcess } from './harness/api-process.ts';
import { sharedClusterSeeds } from './harness/redis.ts';
import { tempDatabase, testNamespace } from './harness/service.ts';

/**
 * A sustained read mix on two processes with tiny TTLs (products fresh ~1.5 s, best sellers
 * ~150 ms, grace a few seconds) and an L1 of 20 entries, so entries go stale, get evicted and get
 * refreshed all the time: no answer may be a 5xx, and every stale answer is followed by a fresh
 * one for the same path soon after (its refresh happened).
 */
let a: ApiProcess;
let b: ApiProcess;
const db = tempDatabase();

beforeAll(async () => {
  const namespace = testNamespace();
  const env = { CACHE_TTL_SCALE: '0.005', CACHE_L1_MAX_ENTRIES: '20' };
  a = await startApiProcess({ redis: sharedClusterSeeds(), namespace, databasePath: db.path, env });
  b = await startApiProcess({ redis: sharedClusterSeeds(), namespace, databasePath: db.path, env });
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  db.remove();
});

const REFRESH_BOUND_MS = 2_000;

test('tiny TTLs, a small L1, two instances reading: no 5xx, and every stale entry read is refreshed', async () => {
  const nextPath = (loop: number, i: number) => {
    const n = loop * 31 + i * 7;
    if (i % 7 === 0) return '/api/products/popular?limit=5';
    if (i % 5 === 0) return `/api/products?page=${(n % 3) + 1}&limit=10`;
    return `/api/products/${(n % 40) + 1}`;
  };
  const durationMs = 6_000;
  const [onA, onB] = await Promise.all(
    [a, b].map((api) => runReadLoad({ baseUrl: api.url, concurrency: 4, durationMs, nextPath })),
  );
  const samples = [...onA!.map((s) => ({ ...s, api: 'a' })), ...onB!.map((s) => ({ ...s, api: 'b' }))];
  const errors = samples.filter((s) => s.status >= 500 || s.status === 0);
  expect(errors.slice(0, 5)).toEqual([]);
  const stale = samples.filter((s) => s.cacheStatus.includes('detail=stale'));
  let unrefreshed = 0;
  for (const s of stale) {
    if (s.at > durationMs - REFRESH_BOUND_MS - 500) continue; // too late in the run to see its follow-up
    const later = samples.filter(
      (o) => o.api === s.api && o.path === s.path && o.at > s.at && o.at <= s.at + REFRESH_BOUND_MS,
    );
    if (later.length === 0) continue; // not read again in time: nothing to judge
    const fresh = later.some((o) => !o.cacheStatus.includes('detail=stale'));
    if (!fresh) unrefreshed++;
  }
  const metrics = await Promise.all([a, b].map((api) => getMetrics(api.url)));
  const refreshed = metrics.reduce((sum, m) => sum + metricValue(m, 'cache_refreshes_total', { result: 'ok' }), 0);
  console.log(
    JSON.stringify({
      test: 'cache-sustained-mix',
      requests: samples.length,
      staleAnswers: stale.length,
      unrefreshed,
      refreshesOk: refreshed,
    }),
  );
  expect(stale.length).toBeGreaterThan(0); // the mix really went through stale entries
  expect(unrefreshed).toBe(0);
  expect(refreshed).toBeGreaterThan(0);
}, 60_000);
