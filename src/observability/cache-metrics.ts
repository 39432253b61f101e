import { Counter, Gauge, Histogram } from 'prom-client';
import {
  type AdmissionResult,
  type CacheObserver,
  type CacheOperation,
  CIRCUIT_STATE_VALUE,
  type CircuitState,
  type EvictionReason,
  type InvalidationSource,
  type L2ErrorKind,
  type LookupResult,
  type PrefixRef,
  type Tier,
} from '../cache/types.ts';
import { AdmissionMetrics, type L1PrefixBytes } from './admission-metrics.ts';
import { CacheSemanticsMetrics } from './cache-semantics-metrics.ts';
import { exemplarHistogramChild } from './histogram-child.ts';
import {
  EVICTION_REASONS,
  INVALIDATION_SOURCES,
  L2_ERROR_KINDS,
  L2_OPERATIONS,
  LOAD_RESULTS,
  l2OperationLabel,
  OPERATIONS,
  RESULTS,
  TIERS,
} from './labels.ts';
import type { MetricsStore } from './metrics-registry.ts';

/** Buckets from a microsecond (an L1 hit) to a second (a Redis call stuck behind a failover). */
export const CACHE_LATENCY_BUCKETS = [
  1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

const TIER_INDEX: Record<Tier, number> = { l1: 0, l2: 1 };
const REASON_INDEX: Record<EvictionReason, number> = { size: 0, expired: 1, invalidated: 2, evicted: 3 };
const ALL_REASONS: EvictionReason[] = ['size', 'expired', 'invalidated', 'evicted'];

export interface L1Gauges extends Partial<L1PrefixBytes> {
  entries(prefixIndex: number): number;
  readonly bytes: number;
}

/**
 * The cache's counters. The hot path adds to plain numbers in arrays indexed by prefix, tier
 * and result (no label look-up, no prom-client call); at scrape time the deltas are handed
 * to prom-client. Every label combination is created up front, so the series set is fixed.
 */
export class CacheMetrics implements CacheObserver {
  /** [prefix][tier][result] */
  private readonly requests: Float64Array;
  private readonly requestsReported: Float64Array;
  /** [prefix][tier][reason] */
  private readonly evictions: Float64Array;
  private readonly evictionsReported: Float64Array;
  private readonly opChildren: { observe(v: number): void }[][][];
  private readonly loadCount: { inc(): void }[][];
  private readonly loadDuration: { observe(v: number): void }[];
  private readonly coalescedChildren: { inc(): void }[];
  private readonly invalidationChildren: { inc(): void }[][];
  private readonly l2ErrorChildren = new Map<string, { inc(): void }>();
  private readonly circuitGauge: Gauge;
  private l1: L1Gauges | undefined;
  private readonly prefixes: readonly PrefixRef[];
  readonly admissions: AdmissionMetrics;
  readonly semantics: CacheSemanticsMetrics;

  constructor(registry: MetricsStore, prefixes: readonly PrefixRef[]) {
    this.prefixes = prefixes;
    this.admissions = new AdmissionMetrics(registry, prefixes);
    const n = prefixes.length;
    this.requests = new Float64Array(n * 2 * 3);
    this.requestsReported = new Float64Array(n * 2 * 3);
    this.evictions = new Float64Array(n * 2 * 4);
    this.evictionsReported = new Float64Array(n * 2 * 4);
    const registers = [registry];

    const self = this;
    const requestCounter: Counter<'tier' | 'prefix' | 'result'> = new Counter({
      name: 'cache_requests_total',
      help: 'Cache lookups by tier, key prefix and result (hit, miss, stale).',
      labelNames: ['tier', 'prefix', 'result'],
      registers,
      collect() {
        self.flush(self.requests, self.requestsReported, 3, (p, t, r) =>
          requestCounter.labels(TIERS[t]!, p, RESULTS[r]!),
        );
      },
    });
    const evictionCounter: Counter<'tier' | 'prefix' | 'reason'> = new Counter({
      name: 'cache_evictions_total',
      help: 'Entries removed from a tier before being read again: size (LRU), expired, invalidated, evicted (Redis maxmemory).',
      labelNames: ['tier', 'prefix', 'reason'],
      registers,
      collect() {
        self.flush(self.evictions, self.evictionsReported, 4, (p, t, r) =>
          evictionCounter.labels(TIERS[t]!, p, ALL_REASONS[r]!),
        );
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
    this.opChildren = prefixes.map((p) =>
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
        for (const p of prefixes) this.labels('l1', p.name).set(self.l1?.entries(p.index) ?? 0);
      },
    });
    new Gauge({
      name: 'cache_size_bytes',
      help: 'Approximate bytes held in L1 (the quantity its byte bound limits).',
      labelNames: ['tier'],
      registers,
      collect() {
        this.labels('l1').set(self.l1?.bytes ?? 0);
      },
    });

    const loads = new Counter({
      name: 'cache_loads_total',
      help: 'Loader (SQLite) calls after a miss in every tier, by result.',
      labelNames: ['prefix', 'result'],
      registers,
    });
    this.loadCount = prefixes.map((p) => LOAD_RESULTS.map((r) => zeroed(loads.labels(p.name, r))));
    const loadDuration: Histogram<string> = new Histogram({
      name: 'cache_load_duration_seconds',
      help: 'Duration of loader (SQLite) calls.',
      labelNames: ['prefix'],
      buckets: CACHE_LATENCY_BUCKETS,
      enableExemplars: true,
      registers,
    });
    this.loadDuration = prefixes.map((p) => exemplarHistogramChild(loadDuration, { prefix: p.name }));
    const coalesced = new Counter({
      name: 'cache_coalesced_requests_total',
      help: 'Lookups that waited for a load already running (in this instance or, via the Redis lock, in another).',
      labelNames: ['prefix'],
      registers,
    });
    this.coalescedChildren = prefixes.map((p) => zeroed(coalesced.labels(p.name)));
    const invalidations = new Counter({
      name: 'cache_invalidations_total',
      help: 'Invalidations applied, by prefix and source (local write or remote message).',
      labelNames: ['prefix', 'source'],
      registers,
    });
    this.invalidationChildren = prefixes.map((p) =>
      INVALIDATION_SOURCES.map((s) => zeroed(invalidations.labels(p.name, s))),
    );
    const l2Errors = new Counter({
      name: 'cache_l2_errors_total',
      help: 'Failed Redis calls by operation and kind (timeout, connection, other).',
      labelNames: ['operation', 'kind'],
      registers,
    });
    for (const op of L2_OPERATIONS)
      for (const kind of L2_ERROR_KINDS) this.l2ErrorChildren.set(`${op}|${kind}`, zeroed(l2Errors.labels(op, kind)));
    this.circuitGauge = new Gauge({
      name: 'cache_l2_circuit_state',
      help: 'L2 circuit breaker: 0 closed, 1 half-open, 2 open.',
      registers,
    });
    this.circuitGauge.set(0);
    this.semantics = new CacheSemanticsMetrics(registry, prefixes);
  }

  /** Gives the gauges their source once the L1 tier exists (the tier reports to this observer, so it comes after). */
  attachL1(l1: L1Gauges): void {
    this.l1 = l1;
    if (l1.prefixBytes) this.admissions.attach({ prefixBytes: l1.prefixBytes.bind(l1) });
  }

  // Indices by comparison, not TIER_INDEX[tier]: a keyed load that sees several keys at one site
  // goes polymorphic (`request` was ~10% of an L1 hit in a profile where it was not inlined),
  // while comparing constant strings folds away when the call is inlined.
  request(prefix: PrefixRef, tier: Tier, result: LookupResult): void {
    const t = tier === 'l1' ? 0 : 1;
    const r = result === 'hit' ? 0 : result === 'miss' ? 1 : 2;
    this.requests[(prefix.index * 2 + t) * 3 + r]!++;
  }

  eviction(prefix: PrefixRef, tier: Tier, reason: EvictionReason): void {
    this.evictions[(prefix.index * 2 + TIER_INDEX[tier]) * 4 + REASON_INDEX[reason]]!++;
  }

  admission(prefix: PrefixRef, result: AdmissionResult): void {
    this.admissions.record(prefix, result);
  }

  operation(prefix: PrefixRef, tier: Tier, op: CacheOperation, seconds: number): void {
    this.opChildren[prefix.index]?.[tier === 'l1' ? 0 : 1]?.[op === 'get' ? 0 : op === 'set' ? 1 : 2]?.observe(seconds);
  }

  load(prefix: PrefixRef, ok: boolean, seconds: number): void {
    this.loadCount[prefix.index]?.[ok ? 0 : 1]?.inc();
    this.loadDuration[prefix.index]?.observe(seconds);
  }

  coalesced(prefix: PrefixRef): void {
    this.coalescedChildren[prefix.index]?.inc();
  }

  invalidation(prefix: PrefixRef, source: InvalidationSource): void {
    this.invalidationChildren[prefix.index]?.[source === 'local' ? 0 : 1]?.inc();
  }

  l2Error(op: string, kind: L2ErrorKind): void {
    this.l2ErrorChildren.get(`${l2OperationLabel(op)}|${kind}`)?.inc();
  }

  circuit(state: CircuitState): void {
    this.circuitGauge.set(CIRCUIT_STATE_VALUE[state]);
  }

  keyLookup(): void {}

  startLookup(): undefined {
    return undefined;
  }

  traceLoad<T>(_prefix: PrefixRef, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  /** Per-prefix totals for the admin statistics route. */
  snapshot(): Record<
    string,
    { l1: Record<string, number>; l2: Record<string, number>; evictions: Record<string, Record<string, number>> }
  > {
    const out: Record<
      string,
      { l1: Record<string, number>; l2: Record<string, number>; evictions: Record<string, Record<string, number>> }
    > = {};
    for (const p of this.prefixes) {
      const tiers = TIERS.map((_, t) =>
        Object.fromEntries(RESULTS.map((r, ri) => [r, this.requests[(p.index * 2 + t) * 3 + ri]!])),
      );
      const evictions = Object.fromEntries(
        TIERS.map((tier, t) => [
          tier,
          Object.fromEntries(
            EVICTION_REASONS[tier].map((r) => [r, this.evictions[(p.index * 2 + t) * 4 + REASON_INDEX[r]]!]),
          ),
        ]),
      );
      out[p.name] = { l1: tiers[0]!, l2: tiers[1]!, evictions };
    }
    return out;
  }

  private flush(
    current: Float64Array,
    reported: Float64Array,
    width: number,
    child: (prefix: string, tier: number, column: number) => { inc(v: number): void },
  ): void {
    for (const p of this.prefixes) {
      for (let t = 0; t < 2; t++) {
        for (let c = 0; c < width; c++) {
          const i = (p.index * 2 + t) * width + c;
          const delta = current[i]! - reported[i]!;
          if (delta > 0) {
            child(p.name, t, c).inc(delta);
            reported[i] = current[i]!;
          }
        }
      }
    }
  }
}

/** prom-client exports a labelled counter only once it has been incremented: adding 0 creates the series up front. */
function zeroed<C extends { inc(value?: number): void }>(child: C): C {
  child.inc(0);
  return child;
}
