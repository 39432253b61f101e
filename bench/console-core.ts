/**
 * ns per L1 hit through the cache API, CONSOLE=on: with the console's per-lookup hook (the
 * hot-key sketch, composed into the observer as src/service.ts does); CONSOLE=off: without it.
 * Prints one JSON line; bench/console-cost.ts runs it alternately, one process per run.
 */
import { performance } from 'node:perf_hooks';
import { L1MemoryTier } from '../src/cache/l1-memory-tier.ts';
import { PrefixRegistry } from '../src/cache/prefix-registry.ts';
import { TwoTierCache } from '../src/cache/two-tier-cache.ts';
import { type CacheObserver, composeObserver } from '../src/cache/types.ts';
import { HotKeys } from '../src/console/hot-keys.ts';
import { CacheMetrics } from '../src/observability/cache-metrics.ts';
import { MetricsRegistry } from '../src/observability/metrics-registry.ts';
import { shopCachePolicies } from '../src/shop/cache-policies.ts';
import { snapshot } from '../src/shop/snapshot.ts';

const KEYS = 4_096;
const ITERATIONS = 2_000_000;
const ROUNDS = 5;

function build(withConsole: boolean) {
  const registry = new PrefixRegistry(shopCachePolicies());
  const metrics = new CacheMetrics(new MetricsRegistry({ defaultMetrics: false }).registry, registry.labels());
  const observer: CacheObserver = withConsole
    ? composeObserver(metrics, { keys: new HotKeys(registry.labels()) })
    : metrics;
  const l1 = new L1MemoryTier({ maxEntries: 50_000, maxBytes: 64 * 1024 * 1024 }, registry, observer);
  return new TwoTierCache({
    registry,
    l1,
    observer,
    lockTtlMs: 2_000,
    lockWaitMs: 1_000,
    lockPollMs: 10,
    maxTags: 10_000,
    maxPendingInvalidations: 10_000,
  });
}

const value = snapshot({ id: 1, name: 'Red Rose, 21 stems', price: { amount: 2900, currency: 'EUR' } });
const loader = async () => value;
// One variant per process, as in the service: a second observer class in the same process would
// make the cache's observer call sites polymorphic and slow both.
const cache = build(process.env.CONSOLE === 'on');
const keys = Array.from({ length: KEYS }, (_, i) => cache.key('product', i + 1));
for (const key of keys) await cache.get(key, loader);

let sink = 0;
function hits(n: number): void {
  for (let i = 0; i < n; i++) {
    const r = cache.get(keys[i & (KEYS - 1)]!, loader);
    if (!(r instanceof Promise)) sink += r.ttlMs > 0 ? 1 : 0;
  }
}
for (let i = 0; i < 3; i++) hits(ITERATIONS / 4);
const ns: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const t0 = performance.now();
  hits(ITERATIONS);
  ns.push(((performance.now() - t0) * 1e6) / ITERATIONS);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(JSON.stringify({ ns: median(ns), sink: sink > 0 ? 1 : 0 }));
