/** The cache as src/service.ts builds it, L1 only: the same registry, policies and metrics observer. */
import { LRUCache } from 'lru-cache';
import { L1MemoryTier } from '../src/cache/l1-memory-tier.ts';
import { PrefixRegistry } from '../src/cache/prefix-registry.ts';
import { TwoTierCache } from '../src/cache/two-tier-cache.ts';
import { type CacheObserver, composeObserver, noopObserver } from '../src/cache/types.ts';
import { HotKeys } from '../src/console/hot-keys.ts';
import { CacheMetrics } from '../src/observability/cache-metrics.ts';
import { MetricsRegistry } from '../src/observability/metrics-registry.ts';
import { shopCachePolicies } from '../src/shop/cache-policies.ts';

/**
 * `metrics: false` swaps the observer for a no-op one. Build one kind per process: two caches with
 * different observer classes in one process make the hit path's observer calls polymorphic, a
 * cost production (one cache, one observer) never pays.
 */
export function buildL1Cache(l1: { maxEntries: number; maxBytes: number }, options: { metrics?: boolean } = {}) {
  const registry = new PrefixRegistry(shopCachePolicies());
  const metrics = new MetricsRegistry({ defaultMetrics: false });
  const cacheMetrics = new CacheMetrics(metrics.registry, registry.labels());
  // As src/service.ts composes it under npm start's defaults: metrics, and the console's hot keys (tracing off).
  const observer: CacheObserver =
    options.metrics === false ? noopObserver : composeObserver(cacheMetrics, { keys: new HotKeys(registry.labels()) });
  const tier = new L1MemoryTier(l1, registry, observer);
  cacheMetrics.attachL1({
    entries: (i) => tier.entries(i),
    get bytes() {
      return tier.bytes;
    },
  });
  const cache = new TwoTierCache({
    registry,
    l1: tier,
    observer,
    lockTtlMs: 2_000,
    lockWaitMs: 1_000,
    lockPollMs: 10,
    maxTags: 10_000,
    maxPendingInvalidations: 10_000,
  });
  return { cache, tier, metrics, observer };
}

export { LRUCache };
