import { defineQuery, type PromQuery, quantileQueries, ratioOrZero, type Selectors } from './query.ts';

/** Where the cache hits and misses, and what its L1 holds. */

const requests = (s: Selectors, ...extra: string[]): string => s.rate(s.prefixed('cache_requests_total', ...extra));

/**
 * hits / (hits + misses + stale) per tier and prefix — the same definition as the recording
 * rule prefix_tier:cache_hit_ratio:rate10m, and what the console charts as hit ratio.
 */
export const cacheHitRatio = defineQuery('Hit ratio by prefix and tier', '{{tier}} {{prefix}}', (s) =>
  ratioOrZero(`sum by (tier, prefix) (${requests(s, 'result="hit"')})`, `sum by (tier, prefix) (${requests(s)})`),
);

export const cacheRequestsByResult = defineQuery(
  'Cache requests by tier and result',
  '{{tier}} {{result}}',
  (s) => `sum by (tier, result) (${requests(s)})`,
);

export const cacheRequestsByPrefix = defineQuery(
  'Cache requests by prefix',
  '{{tier}} {{prefix}}',
  (s) => `sum by (tier, prefix) (${requests(s)})`,
);

export function cacheEvictions(tier: 'l1' | 'l2'): PromQuery {
  return defineQuery(
    `${tier.toUpperCase()} evictions by prefix and reason`,
    '{{prefix}} {{reason}}',
    (s) => `sum by (prefix, reason) (${s.rate(s.prefixed('cache_evictions_total', `tier="${tier}"`))})`,
  );
}

/** Both tiers at once (the console's series are per tier, prefix and reason). */
export const cacheEvictionsByTier = defineQuery(
  'Evictions by tier, prefix and reason',
  '{{tier}} {{prefix}} {{reason}}',
  (s) => `sum by (tier, prefix, reason) (${s.rate(s.prefixed('cache_evictions_total'))})`,
);

export const cacheOperationLatency = quantileQueries(
  'Cache operation latency',
  'cache_operation_duration_seconds',
  ['tier', 'operation'],
  (s, m) => s.prefixed(m),
);

export const l1EntriesByPrefix = defineQuery(
  'L1 entries by prefix',
  '{{prefix}}',
  (s) => `sum by (prefix) (${s.prefixed('cache_entries', 'tier="l1"')})`,
);

export const l1EntriesByInstance = defineQuery(
  'L1 entries by instance',
  'entries {{instance}}',
  (s) => `sum by (instance) (${s.prefixed('cache_entries', 'tier="l1"')})`,
);

export const l1BytesByInstance = defineQuery(
  'L1 size',
  '{{instance}}',
  (s) => `sum by (instance) (${s.of('cache_size_bytes', 'tier="l1"')})`,
);
