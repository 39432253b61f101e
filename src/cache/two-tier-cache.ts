import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { readMany } from './batch-reader.ts';
import type { CacheEntry } from './cache-entry.ts';
import { inspectKey, type KeyInspection } from './cache-inspection.ts';
import { type CacheKey, KeyBuilder } from './cache-key.ts';
import { CacheStack } from './cache-stack.ts';
import { type Clock, fastNow } from './clock.ts';
import type { InvalidationBus, InvalidationMessage } from './invalidation-bus.ts';
import { type InvalidationTarget, Invalidator } from './invalidator.ts';
import type { L1MemoryTier } from './l1-memory-tier.ts';
import type { L2RedisTier } from './l2-redis-tier.ts';
import { LoadLocks } from './load-locks.ts';
import { LoadRunner } from './load-runner.ts';
import { type Fallback, hitLookup, type LoadOptions, type Lookup, staleLookup } from './lookup.ts';
import { DEFAULT_EAGER_REFRESH, type PrefixRegistry, type RegisteredPrefix } from './prefix-registry.ts';
import { ReadPath } from './read-path.ts';
import { stampsAreCurrent } from './tag-versions.ts';
import type { CacheObserver } from './types.ts';

export type { LoadOptions, Lookup } from './lookup.ts';

export interface TwoTierCacheOptions {
  registry: PrefixRegistry;
  l1: L1MemoryTier;
  l2?: L2RedisTier | undefined;
  bus?: InvalidationBus | undefined;
  observer: CacheObserver;
  instanceId?: string;
  /** How long a cross-instance load lock lives: an upper bound on one load. */
  lockTtlMs: number;
  /** How long an instance that lost the lock waits for the winner's value before loading itself. */
  lockWaitMs: number;
  lockPollMs: number;
  maxTags: number;
  /** Invalidations that could not reach Redis are kept (up to this many) and replayed when it returns. */
  maxPendingInvalidations: number;
  random?: () => number;
  /** Time for freshness, grace and eager refresh; the system clock unless a test injects one. */
  clock?: Clock;
}

/**
 * The cache's face: the synchronous L1 hit path here, everything slower in ReadPath (L2 and
 * coalescing), LoadRunner (the loader, its timeouts and the cross-instance lock) and
 * Invalidator (writes), all sharing one CacheStack.
 */
export class TwoTierCache {
  readonly instanceId: string;
  private readonly stack: CacheStack;
  private readonly read: ReadPath;
  private readonly invalidator: Invalidator;
  private readonly runner: LoadRunner;
  private readonly l1: L1MemoryTier;
  private readonly observer: CacheObserver;
  private readonly now: () => number;
  private readonly eagerShare: number[];
  /** Entries whose eager refresh was started, so a failing refresh is not retried on every hit. */
  private readonly eagerTried = new WeakSet<CacheEntry<unknown>>();
  private readonly keys = new KeyBuilder();
  private bus: InvalidationBus | undefined;
  private l1Sample = 0;

  constructor(options: TwoTierCacheOptions) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.stack = new CacheStack({ ...options, clock: options.clock, random: options.random });
    this.runner = new LoadRunner(this.stack, new LoadLocks(this.stack, options));
    this.read = new ReadPath(this.stack, this.runner);
    this.invalidator = new Invalidator(
      this.stack,
      (fulls, tagNames) => this.read.forget(fulls, tagNames),
      options.maxPendingInvalidations,
    );
    this.l1 = options.l1;
    this.observer = options.observer;
    this.now = fastNow(options.clock);
    this.eagerShare = options.registry.all().map((p) => p.eagerRefresh ?? DEFAULT_EAGER_REFRESH);
    if (options.bus) this.attachBus(options.bus);
  }

  /** The bus needs the cache (to apply messages) and the cache the bus (to send them): wired after both exist. */
  attachBus(bus: InvalidationBus): void {
    this.bus = bus;
    this.invalidator.attachBus(bus);
  }

  key(prefix: string | RegisteredPrefix, ...parts: (string | number | boolean)[]): CacheKey {
    return this.keys.build(typeof prefix === 'string' ? this.stack.registry.get(prefix) : prefix, parts);
  }

  /**
   * Returns synchronously on an L1 hit (no promise, no allocation beyond the result), and a
   * promise otherwise. Callers `await` either.
   */
  get<T>(key: CacheKey, loader: () => Promise<T>, options?: LoadOptions): Lookup<T> | Promise<Lookup<T>> {
    const prefix = key.prefix;
    this.observer.keyLookup(prefix, key.full);
    let fallback: Fallback<T> | undefined;
    if (prefix.l1) {
      this.l1Sample = (this.l1Sample + 1) & 15;
      const sampled = this.l1Sample === 0;
      const t0 = sampled ? performance.now() : 0;
      const entry = this.l1.get(key.full) as CacheEntry<T> | undefined;
      if (sampled) this.observer.operation(prefix, 'l1', 'get', (performance.now() - t0) / 1e3);
      if (entry !== undefined) {
        const now = this.now();
        if (!stampsAreCurrent(entry.tags)) {
          this.l1.delete(key.full, 'invalidated');
        } else if (now < entry.freshUntil) {
          this.observer.request(prefix, 'l1', 'hit');
          this.traceL1(prefix, key, 'hit');
          if (now >= this.eagerAt(prefix, entry)) this.refreshEagerly(key, loader, options, entry);
          return hitLookup(entry, 'l1', now, false);
        } else if (now < entry.staleUntil) {
          if (prefix.staleWhileRevalidate) {
            this.observer.request(prefix, 'l1', 'stale');
            this.traceL1(prefix, key, 'stale');
            this.stack.staleServed(prefix, entry, now);
            const stale: Fallback<T> = { entry, source: 'l1' };
            this.read.refresh(key, loader, options, stale, 'stale');
            return staleLookup(stale, now, 'skipped');
          }
          fallback = { entry, source: 'l1' };
        }
      }
      this.observer.request(prefix, 'l1', 'miss');
    }
    return this.read.lookup(key, loader, options, fallback, fallback !== undefined);
  }

  /** `tagsOf` gives each key the tags `get` would give it, so both reads of one key are invalidated alike. */
  getMany<T>(
    keys: readonly CacheKey[],
    loadMissing: (missing: readonly CacheKey[]) => Promise<Map<string, T>>,
    tagsOf?: (key: CacheKey) => readonly string[] | undefined,
  ): Promise<Map<string, T>> {
    return readMany(this.stack, keys, loadMissing, tagsOf);
  }

  /**
   * Drops what a write made stale, here and (through Redis) everywhere. Returns once L2 is
   * cleaned and the message sent, so a write that returns is visible to the next read on any
   * instance that has received the message.
   */
  invalidate(target: InvalidationTarget): Promise<void> {
    return this.invalidator.invalidate(target);
  }

  handleRemote(message: InvalidationMessage): void {
    this.invalidator.handleRemote(message);
  }

  handleGap(): void {
    this.invalidator.handleGap();
  }

  /** Resolves once no lookup, load or background refresh is running (tests use it instead of sleeping). */
  async settled(): Promise<void> {
    while (this.read.inflightCount > 0 || this.runner.size > 0) await new Promise((r) => setImmediate(r));
  }

  private eagerAt(prefix: RegisteredPrefix, entry: CacheEntry<unknown>): number {
    const share = this.eagerShare[prefix.index] ?? 0;
    if (share <= 0 || entry.loadedAt <= 0) return Number.POSITIVE_INFINITY;
    return entry.loadedAt + share * (entry.freshUntil - entry.loadedAt);
  }

  private refreshEagerly<T>(
    key: CacheKey,
    loader: () => Promise<T>,
    options: LoadOptions | undefined,
    entry: CacheEntry<T>,
  ): void {
    if (this.eagerTried.has(entry)) return;
    this.eagerTried.add(entry);
    this.read.refresh(key, loader, options, { entry, source: 'l1' }, 'eager');
  }

  private traceL1(prefix: RegisteredPrefix, key: CacheKey, result: 'hit' | 'stale'): void {
    const trace = this.observer.startLookup(prefix, key.full);
    if (trace) {
      trace.tierReached('l1', result);
      trace.end();
    }
  }

  close(): void {
    this.invalidator.close();
  }

  get pendingInvalidations(): number {
    return this.invalidator.pendingCount;
  }

  inspect(full: string): Promise<KeyInspection> {
    return inspectKey(this.stack, full);
  }

  status(): {
    l1: { entries: number; bytes: number };
    l2: ReturnType<L2RedisTier['status']> | { disabled: true };
    bus: ReturnType<InvalidationBus['status']> | { disabled: true };
    pendingInvalidations: number;
    tags: number;
    inflight: number;
    backgroundRefreshes: number;
  } {
    return {
      l1: { entries: this.l1.size, bytes: this.l1.bytes },
      l2: this.stack.l2 ? this.stack.l2.status() : { disabled: true },
      bus: this.bus ? this.bus.status() : { disabled: true },
      pendingInvalidations: this.pendingInvalidations,
      tags: this.stack.tags.size,
      inflight: this.read.inflightCount,
      backgroundRefreshes: this.read.backgroundRefreshes,
    };
  }
}
