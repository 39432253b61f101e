import { defineQuery, quantileQueries } from './query.ts';

/** Misses that reach the database: loads, and what keeps them few (coalescing, locks, refreshes). */

export const cacheLoads = defineQuery(
  'Loads from the database',
  '{{prefix}} {{result}}',
  (s) => `sum by (prefix, result) (${s.rate(s.prefixed('cache_loads_total'))})`,
);

export const cacheLoadLatency = quantileQueries('Load duration', 'cache_load_duration_seconds', ['prefix'], (s, m) =>
  s.prefixed(m),
);

export const cacheCoalesced = defineQuery(
  'Coalesced requests',
  '{{prefix}}',
  (s) => `sum by (prefix) (${s.rate(s.prefixed('cache_coalesced_requests_total'))})`,
);

/** Lookups per second that waited for another instance's load lock. */
export const cacheLockWaits = defineQuery(
  'Lock waits',
  '{{prefix}}',
  (s) => `sum by (prefix) (${s.rate(s.prefixed('cache_lock_wait_seconds_count'))})`,
);

export const cacheLockWaitLatency = quantileQueries(
  'Lock wait duration',
  'cache_lock_wait_seconds',
  ['prefix'],
  (s, m) => s.prefixed(m),
  [0.5, 0.99],
);

export const cacheLockTakeovers = defineQuery(
  'Lock takeovers',
  '{{prefix}}',
  (s) => `sum by (prefix) (${s.rate(s.prefixed('cache_lock_takeovers_total'))})`,
);

export const cacheRefreshes = defineQuery(
  'Background refreshes',
  '{{prefix}} {{reason}} {{result}}',
  (s) => `sum by (prefix, reason, result) (${s.rate(s.prefixed('cache_refreshes_total'))})`,
);

export const cacheLoaderTimeouts = defineQuery(
  'Loader timeouts',
  '{{prefix}} {{kind}}',
  (s) => `sum by (prefix, kind) (${s.rate(s.prefixed('cache_loader_timeouts_total'))})`,
);

/** Stale answers per second (stale-while-revalidate, fail-safe, soft timeouts). */
export const cacheStaleServed = defineQuery(
  'Stale answers',
  '{{prefix}}',
  (s) => `sum by (prefix) (${s.rate(s.prefixed('cache_stale_served_age_seconds_count'))})`,
);

/** Reads answered by the last resort (L2 asked again, or an entry a bus gap dropped) when the load failed. */
export const cacheLastResortServed = defineQuery(
  'Last-resort answers',
  '{{prefix}} last resort {{source}}',
  (s) => `sum by (prefix, source) (${s.rate(s.prefixed('cache_last_resort_served_total'))})`,
);

export const cacheStaleServedAge = quantileQueries(
  'Age of stale answers',
  'cache_stale_served_age_seconds',
  ['prefix'],
  (s, m) => s.prefixed(m),
  [0.5, 0.99],
);
