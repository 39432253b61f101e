import type { Gauge } from 'prom-client';
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
import { registerCacheMetricFamilies } from './cache-metric-families.ts';
import { CacheSemanticsMetrics } from './cache-semantics-metrics.ts';
import { EVICTION_REASONS, l2OperationLabel, RESULTS, TIERS } from './labels.ts';
import type { MetricsStore } from './metrics-registry.ts';

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
 * to prom-client. The families themselves, with every label combination created up front,
 * are defined in cache-metric-families.ts.
 */
export class CacheMetrics implements CacheObserver {
  /** [prefix][tier][result] */
  private readonly requests: Float64Array;
  private readonly requestsReported: Float64Array;
  /** [prefix][tier][reason] */
  private readonly evictions: Float64Array;
  private readonly evictionsReported: Float64Array;
  // The families' children, held in fields of their own: an observer call (operation() is on the
  // hot path) reaches its child table in one property read, not through the families' result.
  private readonly opChildren: { observe(v: number): void }[][][];
  private readonly loadCount: { inc(): void }[][];
  private readonly loadDuration: { observe(v: number): void }[];
  private readonly coalescedChildren: { inc(): void }[];
  private readonly invalidationChildren: { inc(): void }[][];
  private readonly l2ErrorChildren: Map<string, { inc(): void }>;
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
    const children = registerCacheMetricFamilies(registry, prefixes, {
      requests: (child) =>
        this.flush(this.requests, this.requestsReported, 3, (p, t, r) => child(TIERS[t]!, p, RESULTS[r]!)),
      evictions: (child) =>
        this.flush(this.evictions, this.evictionsReported, 4, (p, t, r) => child(TIERS[t]!, p, ALL_REASONS[r]!)),
      l1Entries: (prefixIndex) => this.l1?.entries(prefixIndex) ?? 0,
      l1Bytes: () => this.l1?.bytes ?? 0,
    });
    this.opChildren = children.operations;
    this.loadCount = children.loadCount;
    this.loadDuration = children.loadDuration;
    this.coalescedChildren = children.coalesced;
    this.invalidationChildren = children.invalidations;
    this.l2ErrorChildren = children.l2Errors;
    this.circuitGauge = children.circuit;
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
