/** Vocabulary shared by the cache and whoever observes it. Every value here is a fixed set, so it is safe as a metric label. */

export type Tier = 'l1' | 'l2';
export type LookupResult = 'hit' | 'miss' | 'stale';
export type EvictionReason = 'size' | 'expired' | 'invalidated' | 'evicted';
export type CacheOperation = 'get' | 'set' | 'delete';
export type L2ErrorKind = 'timeout' | 'connection' | 'other';
export type CircuitState = 'closed' | 'half-open' | 'open';
export type InvalidationSource = 'local' | 'remote';

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

/**
 * The one interface through which the cache reports what it does. Calls sit on the hot path:
 * implementations must be cheap (plain counters, no label look-ups).
 */
export interface CacheObserver {
  request(prefix: PrefixRef, tier: Tier, result: LookupResult): void;
  eviction(prefix: PrefixRef, tier: Tier, reason: EvictionReason): void;
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
}

export const noopObserver: CacheObserver = {
  request() {},
  eviction() {},
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

/** Counting from one observer, tracing from another, with no per-call indirection beyond a bound method. */
export function composeObserver(
  counting: CacheObserver,
  tracing: Pick<CacheObserver, 'startLookup' | 'traceLoad'>,
): CacheObserver {
  return {
    request: counting.request.bind(counting),
    eviction: counting.eviction.bind(counting),
    operation: counting.operation.bind(counting),
    load: counting.load.bind(counting),
    coalesced: counting.coalesced.bind(counting),
    invalidation: counting.invalidation.bind(counting),
    l2Error: counting.l2Error.bind(counting),
    circuit: counting.circuit.bind(counting),
    keyLookup: counting.keyLookup.bind(counting),
    startLookup: tracing.startLookup.bind(tracing),
    traceLoad: tracing.traceLoad.bind(tracing),
  };
}
