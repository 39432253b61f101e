import { Counter, Gauge, Histogram } from 'prom-client';
import type { EvictionReason, LookupResult, PrefixRef, Tier } from '../cache/types.ts';
import { exemplarHistogramChild } from './histogram-child.ts';
import {
  EVICTION_REASONS,
  INVALIDATION_SOURCES,
  L2_ERROR_KINDS,
  L2_OPERATIONS,
  LOAD_RESULTS,
  OPERATIONS,
  RESULTS,
  TIERS,
} from './labels.ts';
import type { MetricsStore } from './metrics-registry.ts';

/** Buckets from a microsecond (an L1 hit) to a second (a Redis call stuck behind a failover). */
export const CACHE_LATENCY_BUCKETS = [
  1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/**
 * What the scrape-time families read from the observer: the request and eviction counts the hot
 * path keeps in plain arrays (each reader hands every count added since the last scrape to the
 * child it is given) and the L1 tier's size, which exists only once the tier is attached.
 */
export interface CacheScrapeReaders {
  requests(child: (tier: Tier, prefix: string, result: LookupResult) => { inc(v: number): void }): void;
  evictions(child: (tier: Tier, prefix: string, reason: EvictionReason) => { inc(v: number): void }): void;
  l1Entries(prefixIndex: number): number;
  l1Bytes(): number;
}

/**
 * The label children the observer feeds directly, looked up once here so that an observer call
 * is an array index, not a label look-up. Tables are indexed [prefix][...] in the order of the
 * vocabularies in labels.ts.
 */
export interface CacheMetricChildren {
  /** [prefix][tier][operation] */
  readonly operations: { observe(v: number): void }[][][];
  /** [prefix][load result] */
  readonly loadCount: { inc(): void }[][];
  readonly loadDuration: { observe(v: number): void }[];
  readonly coalesced: { inc(): void }[];
  /** [prefix][invalidation source] */
  readonly invalidations: { inc(): void }[][];
  /** By `${operation}|${kind}`. */
  readonly l2Errors: Map<string, { inc(): void }>;
  readonly circuit: Gauge;
}

/**
 * Registers the cache's prom-client families (names, help, labels, buckets) and creates every
 * label combination up front, so the series set is fixed from the first scrape.
 */
export function registerCacheMetricFamilies(
  registry: MetricsStore,
  prefixes: readonly PrefixRef[],
  readers: CacheScrapeReaders,
): CacheMetricChildren {
  const registers = [registry];

  const requestCounter: Counter<'tier' | 'prefix' | 'result'> = new Counter({
    name: 'cache_requests_total',
    help: 'Cache lookups by tier, key prefix and result (hit, miss, stale).',
    labelNames: ['tier', 'prefix', 'result'],
    registers,
    collect() {
      readers.requests((tier, prefix, result) => requestCounter.labels(tier, prefix, result));
    },
  });
  const evictionCounter: Counter<'tier' | 'prefix' | 'reason'> = new Counter({
    name: 'cache_evictions_total',
    help: 'Entries removed from a tier before being read again: size (LRU), expired, invalidated, evicted (Redis maxmemory).',
    labelNames: ['tier', 'prefix', 'reason'],
    registers,
    collect() {
      readers.evictions((tier, prefix, reason) => evictionCounter.labels(tier, prefix, reason));
    },
  });
  for (const p of prefixes) {
    for (const tier of TIERS) {
      for (const result of RESULTS) zeroed(requestCounter.labels(tier, p.name, result));
      for (const reason of EVICTION_REASONS[tier]) zeroed(evictionCounter.labels(tier, p.name, reason));
    }
  }

  // Histogram<string>: exemplar labels (trace_id) are not among the metric's own label names.
  const opHistogram: Histogram<string> = new Histogram({
    name: 'cache_operation_duration_seconds',
    help: 'Duration of cache operations by tier, operation and prefix. L1 gets are sampled 1 in 16 to keep the hit path cheap.',
    labelNames: ['tier', 'operation', 'prefix'],
    buckets: CACHE_LATENCY_BUCKETS,
    enableExemplars: true,
    registers,
  });
  const operations = prefixes.map((p) =>
    TIERS.map((tier) =>
      OPERATIONS.map((op) => exemplarHistogramChild(opHistogram, { tier, operation: op, prefix: p.name })),
    ),
  );

  new Gauge({
    name: 'cache_entries',
    help: 'Entries held in L1 per prefix, read at scrape time.',
    labelNames: ['tier', 'prefix'],
    registers,
    collect() {
      for (const p of prefixes) this.labels('l1', p.name).set(readers.l1Entries(p.index));
    },
  });
  new Gauge({
    name: 'cache_size_bytes',
    help: 'Approximate bytes held in L1 (the quantity its byte bound limits).',
    labelNames: ['tier'],
    registers,
    collect() {
      this.labels('l1').set(readers.l1Bytes());
    },
  });

  const loads = new Counter({
    name: 'cache_loads_total',
    help: 'Loader (SQLite) calls after a miss in every tier, by result.',
    labelNames: ['prefix', 'result'],
    registers,
  });
  const loadCount = prefixes.map((p) => LOAD_RESULTS.map((r) => zeroed(loads.labels(p.name, r))));
  const loadDurationHistogram: Histogram<string> = new Histogram({
    name: 'cache_load_duration_seconds',
    help: 'Duration of loader (SQLite) calls.',
    labelNames: ['prefix'],
    buckets: CACHE_LATENCY_BUCKETS,
    enableExemplars: true,
    registers,
  });
  const loadDuration = prefixes.map((p) => exemplarHistogramChild(loadDurationHistogram, { prefix: p.name }));
  const coalescedCounter = new Counter({
    name: 'cache_coalesced_requests_total',
    help: 'Lookups that waited for a load already running (in this instance or, via the Redis lock, in another).',
    labelNames: ['prefix'],
    registers,
  });
  const coalesced = prefixes.map((p) => zeroed(coalescedCounter.labels(p.name)));
  const invalidationCounter = new Counter({
    name: 'cache_invalidations_total',
    help: 'Invalidations applied, by prefix and source (local write or remote message).',
    labelNames: ['prefix', 'source'],
    registers,
  });
  const invalidations = prefixes.map((p) =>
    INVALIDATION_SOURCES.map((s) => zeroed(invalidationCounter.labels(p.name, s))),
  );
  const l2ErrorCounter = new Counter({
    name: 'cache_l2_errors_total',
    help: 'Failed Redis calls by operation and kind (timeout, connection, other).',
    labelNames: ['operation', 'kind'],
    registers,
  });
  const l2Errors = new Map<string, { inc(): void }>();
  for (const op of L2_OPERATIONS)
    for (const kind of L2_ERROR_KINDS) l2Errors.set(`${op}|${kind}`, zeroed(l2ErrorCounter.labels(op, kind)));
  const circuit = new Gauge({
    name: 'cache_l2_circuit_state',
    help: 'L2 circuit breaker: 0 closed, 1 half-open, 2 open.',
    registers,
  });
  circuit.set(0);

  return { operations, loadCount, loadDuration, coalesced, invalidations, l2Errors, circuit };
}

/** prom-client exports a labelled counter only once it has been incremented: adding 0 creates the series up front. */
function zeroed<C extends { inc(value?: number): void }>(child: C): C {
  child.inc(0);
  return child;
}
