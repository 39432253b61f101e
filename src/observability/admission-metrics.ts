import { Counter, Gauge } from 'prom-client';
import type { AdmissionResult, PrefixRef } from '../cache/types.ts';
import type { MetricsStore } from './metrics-registry.ts';

export const ADMISSION_RESULTS = ['admitted', 'rejected'] as const;

/** What the L1 tier tells about each prefix's share of its bytes. */
export interface L1PrefixBytes {
  prefixBytes(prefixIndex: number): { bytes: number; cap: number };
}

/**
 * L1 admission decisions per prefix (`cache_admissions_total{prefix,result}`) and each prefix's
 * bytes against its budget. Decisions are counted in a plain array on the miss path and handed
 * to prom-client at scrape time, like the other cache counters; every series exists from start.
 */
export class AdmissionMetrics {
  /** [prefix][result] */
  private readonly counts: Float64Array;
  private readonly reported: Float64Array;
  private source: L1PrefixBytes | undefined;

  constructor(
    registry: MetricsStore,
    private readonly prefixes: readonly PrefixRef[],
  ) {
    this.counts = new Float64Array(prefixes.length * 2);
    this.reported = new Float64Array(prefixes.length * 2);
    const registers = [registry];
    const self = this;
    const admissions: Counter<'prefix' | 'result'> = new Counter({
      name: 'cache_admissions_total',
      help: 'L1 admission decisions (TinyLFU prefixes): a key leaving the admission window admitted into the main region, or rejected because the entry it would evict is asked for more often.',
      labelNames: ['prefix', 'result'],
      registers,
      collect() {
        for (const p of prefixes) {
          ADMISSION_RESULTS.forEach((result, r) => {
            const i = p.index * 2 + r;
            const delta = self.counts[i]! - self.reported[i]!;
            if (delta > 0) {
              admissions.labels(p.name, result).inc(delta);
              self.reported[i] = self.counts[i]!;
            }
          });
        }
      },
    });
    for (const p of prefixes) for (const result of ADMISSION_RESULTS) admissions.labels(p.name, result).inc(0);
    new Gauge({
      name: 'cache_l1_prefix_bytes',
      help: 'Bytes (estimated heap retained) each prefix holds in L1, read at scrape time.',
      labelNames: ['prefix'],
      registers,
      collect() {
        for (const p of prefixes) this.labels(p.name).set(self.source?.prefixBytes(p.index).bytes ?? 0);
      },
    });
    new Gauge({
      name: 'cache_l1_prefix_budget_bytes',
      help: 'The most bytes a prefix may hold in L1 (its byte share); absent for prefixes without a share.',
      labelNames: ['prefix'],
      registers,
      collect() {
        for (const p of prefixes) {
          const cap = self.source?.prefixBytes(p.index).cap ?? Number.POSITIVE_INFINITY;
          if (Number.isFinite(cap)) this.labels(p.name).set(cap);
        }
      },
    });
  }

  attach(source: L1PrefixBytes): void {
    this.source = source;
  }

  record(prefix: PrefixRef, result: AdmissionResult): void {
    this.counts[prefix.index * 2 + (result === 'admitted' ? 0 : 1)]!++;
  }

  /** Totals per prefix, for the admin statistics route and tests. */
  snapshot(): Record<string, Record<AdmissionResult, number>> {
    const out: Record<string, Record<AdmissionResult, number>> = {};
    for (const p of this.prefixes)
      out[p.name] = { admitted: this.counts[p.index * 2]!, rejected: this.counts[p.index * 2 + 1]! };
    return out;
  }
}
