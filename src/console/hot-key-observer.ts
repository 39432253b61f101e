import type {
  AdmissionResult,
  CacheObserver,
  CacheOperation,
  CacheSemanticsObserver,
  CircuitState,
  EvictionReason,
  InvalidationSource,
  L2ErrorKind,
  LookupResult,
  LookupTrace,
  PrefixRef,
  Tier,
} from '../cache/types.ts';
import type { HotKeys } from './hot-keys.ts';

/**
 * The service's observer with the console's hot-key sketch added. A class of plain delegating
 * methods rather than bound functions: the L1-hit path then costs what it costs without the
 * console, plus the sketch's sampled increment (bench: CONSOLE_ENABLED on vs off).
 */
export class HotKeyObserver implements CacheObserver {
  readonly semantics: CacheSemanticsObserver | undefined;

  constructor(
    private readonly inner: CacheObserver,
    private readonly hotKeys: HotKeys,
  ) {
    this.semantics = inner.semantics;
  }

  keyLookup(prefix: PrefixRef, key: string): void {
    this.hotKeys.keyLookup(prefix, key);
  }
  request(prefix: PrefixRef, tier: Tier, result: LookupResult): void {
    this.inner.request(prefix, tier, result);
  }
  eviction(prefix: PrefixRef, tier: Tier, reason: EvictionReason): void {
    this.inner.eviction(prefix, tier, reason);
  }
  admission(prefix: PrefixRef, result: AdmissionResult): void {
    this.inner.admission(prefix, result);
  }
  operation(prefix: PrefixRef, tier: Tier, op: CacheOperation, seconds: number): void {
    this.inner.operation(prefix, tier, op, seconds);
  }
  load(prefix: PrefixRef, ok: boolean, seconds: number): void {
    this.inner.load(prefix, ok, seconds);
  }
  coalesced(prefix: PrefixRef): void {
    this.inner.coalesced(prefix);
  }
  invalidation(prefix: PrefixRef, source: InvalidationSource): void {
    this.inner.invalidation(prefix, source);
  }
  l2Error(op: string, kind: L2ErrorKind): void {
    this.inner.l2Error(op, kind);
  }
  circuit(state: CircuitState): void {
    this.inner.circuit(state);
  }
  startLookup(prefix: PrefixRef, key: string): LookupTrace | undefined {
    return this.inner.startLookup(prefix, key);
  }
  traceLoad<T>(prefix: PrefixRef, fn: () => Promise<T>): Promise<T> {
    return this.inner.traceLoad(prefix, fn);
  }
}
