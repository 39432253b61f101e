import { expect, test } from 'vitest';
import { PrefixRegistry } from '../src/cache/prefix-registry.ts';
import { CacheConsole } from '../src/console/cache-console.ts';
import { CacheMetrics } from '../src/observability/cache-metrics.ts';
import { HttpMetrics } from '../src/observability/http-metrics.ts';
import { MetricsRegistry } from '../src/observability/metrics-registry.ts';
import { shopCachePolicies } from '../src/shop/cache-policies.ts';

/** The console over the real metrics classes and a real prom-client registry, with the clock in the test's hands. */
function setup() {
  const prefixes = new PrefixRegistry(shopCachePolicies());
  const registry = new MetricsRegistry({ defaultMetrics: false });
  const cache = new CacheMetrics(registry.registry, prefixes.labels());
  const http = new HttpMetrics(registry.registry);
  const live = new CacheConsole({
    registry: registry.registry,
    prefixes: prefixes.labels(),
    l1Bounds: { maxEntries: 100, maxBytes: 1024 },
    historyLength: 10,
    windowSamples: 2,
  });
  const product = prefixes.labels().find((p) => p.name === 'product')!;
  return { cache, http, live, product };
}

test('each sample turns counter increases into rates and ratios over the window, and quantiles of its observations', async () => {
  const { cache, http, live, product } = setup();
  await live.sample(1_000);
  expect(live.history.size).toBe(0); // one reading is no rate yet
  for (let i = 0; i < 30; i++) cache.request(product, 'l1', 'hit');
  for (let i = 0; i < 10; i++) cache.request(product, 'l1', 'miss');
  for (let i = 0; i < 5; i++) cache.request(product, 'l1', 'stale');
  for (let i = 0; i < 6; i++) cache.request(product, 'l2', 'hit');
  for (let i = 0; i < 4; i++) cache.request(product, 'l2', 'miss');
  for (let i = 0; i < 8; i++) cache.eviction(product, 'l1', 'invalidated');
  cache.l2Error('get', 'timeout');
  cache.circuit('open');
  for (let i = 0; i < 9; i++) http.observe('GET', '/api/products/:id', 200, 0.003, undefined);
  http.observe('GET', '/api/products/:id', 503, 0.2, undefined);
  http.observe('GET', '/console/api/stream', 200, 30, undefined);
  await live.sample(3_000); // 2 s after the first reading

  const w = live.history.window();
  expect(w.t).toEqual([3_000]);
  const at = (name: string) => w.series[name]?.[0];
  // hits / (hits + misses + stale), as the dashboards' hit-ratio query: a stale answer is no hit.
  expect(at('hit_ratio.l1.product')).toBeCloseTo(30 / 45);
  expect(at('hit_ratio.l2.product')).toBeCloseTo(0.6);
  expect(at('requests.l1.hit')).toBeCloseTo(15); // 30 in 2 s
  expect(at('requests.l1.miss')).toBeCloseTo(5);
  expect(at('evictions.l1.product')).toBeCloseTo(4);
  expect(at('evictions.l1.product.invalidated')).toBeCloseTo(4);
  expect(at('l2_errors.timeout')).toBeCloseTo(0.5);
  expect(at('l2_errors')).toBeCloseTo(0.5);
  expect(at('circuit')).toBe(2);
  expect(at('http.rps')).toBeCloseTo(5);
  expect(at('http.errors')).toBeCloseTo(0.5);
  expect(at('http.GET /api/products/:id.p50')).toBeGreaterThan(0.0025);
  expect(at('http.GET /api/products/:id.p50')).toBeLessThanOrEqual(0.005);
  expect(at('http.p99')).toBeGreaterThan(0.1);
  // The console's own stream is not traffic.
  expect(Object.keys(w.series).some((n) => n.includes('/console'))).toBe(false);
  // No prefix saw a lookup: no ratio rather than a made-up 0 or 1.
  expect(at('hit_ratio.l1.search')).toBeUndefined();

  // Nothing new: the window slides past the traffic and rates fall to zero, ratios to no value.
  await live.sample(4_000);
  await live.sample(5_000);
  const later = live.history.window(4_500);
  expect(later.series['requests.l1.hit']?.[0]).toBe(0);
  expect(later.series['hit_ratio.l1.product']?.[0]).toBeNull();
});

test('the history stays bounded however long it runs', async () => {
  const { live } = setup();
  for (let t = 1; t <= 50; t++) await live.sample(t * 1_000);
  expect(live.history.size).toBe(10);
  expect(live.history.window().t[0]).toBe(41_000);
});
