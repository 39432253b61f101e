/** Vocabulary shared by the cache and whoever observes it. Every value here is a fixed set, so it is safe as a metric label. */

export type Tier = 'l1' | 'l2';
export type LookupResult = 'hit' | 'miss' | 'stale';
export type EvictionReason = 'size' | 'expired' | 'invalidated' | 'evicted';
export type CacheOperation = 'get' | 'set' | 'delete';
export type L2ErrorKind = 'timeout' | 'connection' | 'other';
export type CircuitState = 'closed' | 'half-open' | 'open';
export type InvalidationSource = 'local' | 'remote';
/** How a new key enters L1: TinyLFU admission (window + frequency filter) or plain LRU (always). */
export type L1Admission = 'tinylfu' | 'lru';
/** A candidate leaving L1's admission window either replaces the main region's LRU entry or is dropped. */
export type AdmissionResult = 'admitted' | 'rejected';

export const CIRCUIT_STATE_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, 'half-open': 1, open: 2 };

/** Where a lookup's value came from, enough to write an RFC 9211 Cache-Status header. */
export type AnswerSource = 'l1' | 'l2' | 'origin';

/**
 * A prefix as the observer sees it. `index` is dense (0..n-1) so observers can keep per-prefix
 * counters in arrays and never look up a label on the hot path.
 */
export interface PrefixRef {
  readonly name: string;
  readonly index: number;
}

/** A span-like handle for one lookup; the tracing implementation turns it into an OpenTelemetry span. */
export interface LookupTrace {
  /** Runs fn with this lookup as the active context, so Redis commands it sends become its children. */
  within<T>(fn: () => Promise<T>): Promise<T>;
  tierReached(tier: AnswerSource, result: LookupResult): void;
  fail(error: unknown): void;
  end(): void;
}

export type RefreshReason = 'stale' | 'eager';
export type LoaderTimeoutKind = 'soft' | 'hard';
/** Where a read that the loader and the first L2 read both failed found its answer: L2 asked again, or what a bus gap dropped from L1. */
export type LastResortSource = 'l2_retry' | 'gap_kept';

/**
 * What the read path's semantics look like from outside: how stale the stale answers were,
 * how late invalidations arrived, how long lock losers waited, what refreshes and timeouts did.
 */
export interface CacheSemanticsObserver {
  /** A stale answer was served; `ageSeconds` is how far past its fresh time it was. */
  staleServed(prefix: PrefixRef, ageSeconds: number): void;
  /** An invalidation message from another instance was applied, `seconds` after it was sent. */
  invalidationLag(seconds: number): void;
  /** Time a lookup spent waiting for another instance's load lock before it had a value or loaded itself. */
  lockWait(prefix: PrefixRef, seconds: number): void;
  /** The lock holder left no value in time and this instance loaded anyway. */
  lockTakeover(prefix: PrefixRef): void;
  refresh(prefix: PrefixRef, reason: RefreshReason, ok: boolean): void;
  loaderTimeout(prefix: PrefixRef, kind: LoaderTimeoutKind): void;
  /** A read answered by its last resort (read-path.ts) instead of failing. */
  lastResortServed?(prefix: PrefixRef, source: LastResortSource): void;
}

/**
 * The one interface through which the cache reports what it does. Calls sit on the hot path:
 * implementations must be cheap (plain counters, no label look-ups).
 */
export interface CacheObserver {
  request(prefix: PrefixRef, tier: Tier, result: LookupResult): void;
  eviction(prefix: PrefixRef, tier: Tier, reason: EvictionReason): void;
  /** An L1 admission decision (TinyLFU prefixes only). */
  admission(prefix: PrefixRef, result: AdmissionResult): void;
  operation(prefix: PrefixRef, tier: Tier, op: CacheOperation, seconds: number): void;
  load(prefix: PrefixRef, ok: boolean, seconds: number): void;
  coalesced(prefix: PrefixRef): void;
  invalidation(prefix: PrefixRef, source: InvalidationSource): void;
  l2Error(op: string, kind: L2ErrorKind): void;
  circuit(state: CircuitState): void;
  /** A lookup of one key began (for the console's hot-key sketch). Called on every lookup: sample, do not store. */
  keyLookup(prefix: PrefixRef, key: string): void;
  /** Returns undefined when the current request is not traced, which keeps untraced lookups free. */
  startLookup(prefix: PrefixRef, key: string): LookupTrace | undefined;
  /** Wraps the loader so it shows as a child of the lookup. */
  traceLoad<T>(prefix: PrefixRef, fn: () => Promise<T>): Promise<T>;
  /** Optional, so observers that do not care need not implement it. */
  readonly semantics?: CacheSemanticsObserver | undefined;
}

export const noopObserver: CacheObserver = {
  request() {},
  eviction() {},
  admission() {},
  operation() {},
  load() {},
  coalesced() {},
  invalidation() {},
  l2Error() {},
  circuit() {},
  keyLookup() {},
  startLookup() {
    return undefined;
  },
  traceLoad(_prefix, fn) {
    return fn();
  },
};

/**
 * Counting from one observer, with tracing and the per-key hook (the console's hot-key sketch)
 * from others when given. A class of plain delegating methods, not an object of bound functions:
 * each call site then stays monomorphic and inlinable, so composing costs the L1-hit path nothing
 * measurable (bench/console-core.ts).
 */
class ComposedObserver implements CacheObserver {
  readonly semantics: CacheSemanticsObserver | undefined;

  constructor(
    private readonly counting: CacheObserver,
    private readonly tracing: Pick<CacheObserver, 'startLookup' | 'traceLoad'>,
    private readonly keys: Pick<CacheObserver, 'keyLookup'>,
  ) {
    this.semantics = counting.semantics;
  }

  request(prefix: PrefixRef, tier: Tier, result: LookupResult): void {
    this.counting.request(prefix, tier, result);
  }
  eviction(prefix: PrefixRef, tier: Tier, reason: EvictionReason): void {
    this.counting.eviction(prefix, tier, reason);
  }
  admission(prefix: PrefixRef, result: AdmissionResult): void {
    this.counting.admission(prefix, result);
  }
  operation(prefix: PrefixRef, tier: Tier, op: CacheOperation, seconds: number): void {
    this.counting.operation(prefix, tier, op, seconds);
  }
  load(prefix: PrefixRef, ok: boolean, seconds: number): void {
    this.counting.load(prefix, ok, seconds);
  }
  coalesced(prefix: PrefixRef): void {
    this.counting.coalesced(prefix);
  }
  invalidation(prefix: PrefixRef, source: InvalidationSource): void {
    this.counting.invalidation(prefix, source);
  }
  l2Error(op: string, kind: L2ErrorKind): void {
    this.counting.l2Error(op, kind);
  }
  circuit(state: CircuitState): void {
    this.counting.circuit(state);
  }
  keyLookup(prefix: PrefixRef, key: string): void {
    this.keys.keyLookup(prefix, key);
  }
  startLookup(prefix: PrefixRef, key: string): LookupTrace | undefined {
    return this.tracing.startLookup(prefix, key);
  }
  traceLoad<T>(prefix: PrefixRef, fn: () => Promise<T>): Promise<T> {
    return this.tracing.traceLoad(prefix, fn);
  }
}

export function composeObserver(
  counting: CacheObserver,
  parts: {
    tracing?: Pick<CacheObserver, 'startLookup' | 'traceLoad'>;
    keys?: Pick<CacheObserver, 'keyLookup'>;
  },
): CacheObserver {
  return new ComposedObserver(counting, parts.tracing ?? counting, parts.keys ?? counting);
}
