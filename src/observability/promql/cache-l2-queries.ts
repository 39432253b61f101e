import { defineQuery, quantileQueries } from './query.ts';

/** Is Redis (L2) usable, and do the instances hear each other's invalidations? */

export const l2CircuitState = defineQuery(
  'L2 circuit breaker',
  '{{instance}}',
  (s) => `max by (instance) (${s.of('cache_l2_circuit_state')})`,
);

export const l2Errors = defineQuery(
  'L2 errors',
  '{{operation}} {{kind}}',
  (s) => `sum by (operation, kind) (${s.rate(s.of('cache_l2_errors_total'))})`,
);

export const cacheInvalidations = defineQuery(
  'Invalidations by source',
  '{{prefix}} {{source}}',
  (s) => `sum by (prefix, source) (${s.rate(s.prefixed('cache_invalidations_total'))})`,
);

/** From sending an invalidation to another instance applying it (no prefix: one bus for all). */
export const invalidationLag = quantileQueries(
  'Invalidation bus lag',
  'cache_invalidation_lag_seconds',
  [],
  (s, m) => s.of(m),
  [0.5, 0.99],
);
