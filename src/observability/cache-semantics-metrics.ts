import { Counter, Histogram } from 'prom-client';
import type {
  CacheSemanticsObserver,
  LastResortSource,
  LoaderTimeoutKind,
  PrefixRef,
  RefreshReason,
} from '../cache/types.ts';
import { type HistogramChild, histogramChild } from './histogram-child.ts';
import type { MetricsStore } from './metrics-registry.ts';

/** How stale a stale answer may be: from a millisecond past fresh to an hour of grace. */
const STALE_AGE_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1_800, 3_600];
/** Lock waits: one poll (10 ms) up to the lock wait bound (1 s by default) and beyond. */
const LOCK_WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Invalidation lag: the 10-40 ms the README promises, up to the seconds a paused node costs. */
const LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const REFRESH_REASONS = ['stale', 'eager'] as const;
export const REFRESH_RESULTS = ['ok', 'error'] as const;
export const LOADER_TIMEOUT_KINDS = ['soft', 'hard'] as const;
export const LAST_RESORT_SOURCES = ['l2_retry', 'gap_kept'] as const satisfies readonly LastResortSource[];

/**
 * The read path's semantics as metrics (issue 10): stale ages, invalidation lag, lock waits and
 * takeovers, refreshes and loader timeouts. Every series exists from start-up, labels from fixed sets.
 */
export class CacheSemanticsMetrics implements CacheSemanticsObserver {
  private readonly staleAge: HistogramChild[];
  private readonly lag: HistogramChild;
  private readonly lockWaitChildren: HistogramChild[];
  private readonly takeovers: { inc(): void }[];
  /** [prefix][reason][result] */
  private readonly refreshes: { inc(): void }[][][];
  /** [prefix][kind] */
  private readonly timeouts: { inc(): void }[][];
  /** [prefix][source] */
  private readonly lastResorts: { inc(): void }[][];

  constructor(registry: MetricsStore, prefixes: readonly PrefixRef[]) {
    const registers = [registry];
    const staleAge = new Histogram({
      name: 'cache_stale_served_age_seconds',
      help: 'How far past its fresh time each stale answer was (stale-while-revalidate, fail-safe, loader timeouts).',
      labelNames: ['prefix'],
      buckets: STALE_AGE_BUCKETS,
      registers,
    });
    this.staleAge = prefixes.map((p) => histogramChild(staleAge, { prefix: p.name }));
    const lag = new Histogram({
      name: 'cache_invalidation_lag_seconds',
      help: 'From sending an invalidation message to applying it in another instance (sender timestamp in the message).',
      buckets: LAG_BUCKETS,
      registers,
    });
    this.lag = histogramChild(lag, {});
    const lockWait = new Histogram({
      name: 'cache_lock_wait_seconds',
      help: "Time a lookup waited for another instance's load lock before it had that instance's value or loaded itself.",
      labelNames: ['prefix'],
      buckets: LOCK_WAIT_BUCKETS,
      registers,
    });
    this.lockWaitChildren = prefixes.map((p) => histogramChild(lockWait, { prefix: p.name }));
    const takeovers = new Counter({
      name: 'cache_lock_takeovers_total',
      help: 'Lock waits that ended without the holder leaving a value, after which this instance loaded itself.',
      labelNames: ['prefix'],
      registers,
    });
    this.takeovers = prefixes.map((p) => zeroed(takeovers.labels(p.name)));
    const refreshes = new Counter({
      name: 'cache_refreshes_total',
      help: 'Background refreshes by reason (stale: served stale; eager: hit past the eager share of fresh time) and result.',
      labelNames: ['prefix', 'reason', 'result'],
      registers,
    });
    this.refreshes = prefixes.map((p) =>
      REFRESH_REASONS.map((reason) =>
        REFRESH_RESULTS.map((result) => zeroed(refreshes.labels(p.name, reason, result))),
      ),
    );
    const timeouts = new Counter({
      name: 'cache_loader_timeouts_total',
      help: 'Loads that outlived a timeout: soft (a stale value was served meanwhile) or hard (fail-safe value or error).',
      labelNames: ['prefix', 'kind'],
      registers,
    });
    this.timeouts = prefixes.map((p) => LOADER_TIMEOUT_KINDS.map((kind) => zeroed(timeouts.labels(p.name, kind))));
    const lastResorts = new Counter({
      name: 'cache_last_resort_served_total',
      help: 'Reads whose load and L2 read failed with nothing to stand in, answered anyway: by L2 asked again (l2_retry) or by an entry a bus gap dropped from L1 (gap_kept).',
      labelNames: ['prefix', 'source'],
      registers,
    });
    this.lastResorts = prefixes.map((p) =>
      LAST_RESORT_SOURCES.map((source) => zeroed(lastResorts.labels(p.name, source))),
    );
  }

  staleServed(prefix: PrefixRef, ageSeconds: number): void {
    this.staleAge[prefix.index]?.observe(ageSeconds);
  }

  invalidationLag(seconds: number): void {
    this.lag.observe(seconds);
  }

  lockWait(prefix: PrefixRef, seconds: number): void {
    this.lockWaitChildren[prefix.index]?.observe(seconds);
  }

  lockTakeover(prefix: PrefixRef): void {
    this.takeovers[prefix.index]?.inc();
  }

  refresh(prefix: PrefixRef, reason: RefreshReason, ok: boolean): void {
    this.refreshes[prefix.index]?.[reason === 'stale' ? 0 : 1]?.[ok ? 0 : 1]?.inc();
  }

  loaderTimeout(prefix: PrefixRef, kind: LoaderTimeoutKind): void {
    this.timeouts[prefix.index]?.[kind === 'soft' ? 0 : 1]?.inc();
  }

  lastResortServed(prefix: PrefixRef, source: LastResortSource): void {
    this.lastResorts[prefix.index]?.[source === 'l2_retry' ? 0 : 1]?.inc();
  }
}

function zeroed<C extends { inc(value?: number): void }>(child: C): C {
  child.inc(0);
  return child;
}
