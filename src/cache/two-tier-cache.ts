import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type CacheEntry, deserializeEntry, entrySize, serializeEntry } from './cache-entry.ts';
import { buildKey, type CacheKey, prefixNameOf } from './cache-key.ts';
import { L2Error, L2UnavailableError, LoaderError } from './errors.ts';
import type { InvalidationBus, InvalidationMessage } from './invalidation-bus.ts';
import type { L1MemoryTier } from './l1-memory-tier.ts';
import type { L2RedisTier } from './l2-redis-tier.ts';
import { PendingInvalidations } from './pending-invalidations.ts';
import { PrefixRegistry, type RegisteredPrefix } from './prefix-registry.ts';
import { RecentInvalidations } from './recent-invalidations.ts';
import { GLOBAL_TAG, prefixTag, stampsAreCurrent, type TagStamp, type TagState, TagVersions } from './tag-versions.ts';
import type { AnswerSource, CacheObserver, LookupTrace } from './types.ts';

/** What one lookup found, enough for the caller to answer and to write a Cache-Status header. */
export interface Lookup<T> {
  readonly value: T;
  readonly source: AnswerSource;
  /** Served past its fresh time (stale-while-revalidate or fail-safe). */
  readonly stale: boolean;
  /** Milliseconds of freshness left; negative when stale. */
  readonly ttlMs: number;
  /** What L2 did: consulted and hit or missed, or not consulted (unavailable, not needed). */
  readonly l2: 'hit' | 'miss' | 'stale' | 'unavailable' | 'skipped';
  readonly storedL1: boolean;
  readonly storedL2: boolean;
}

export interface LoadOptions {
  /** Group tags for invalidation (e.g. `catalog:category:roses`); the first segment names the prefix they are counted under. */
  tags?: readonly string[];
}

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
}

interface SlowContext<T> {
  key: CacheKey;
  loader: () => Promise<T>;
  tagStates: readonly TagState[];
  /** A stale entry from L1 to fall back on if everything else fails. */
  fallback: CacheEntry<T> | undefined;
  startSeq: number;
  /** A stale entry was already served to this caller (or this is a background refresh): only a load helps. */
  mustLoad: boolean;
  /** The lookup's own registration in the in-flight map, which a refresh it starts takes over. */
  self?: Promise<Lookup<unknown>>;
}

const DEFAULT_MAX_INFLIGHT = 10_000;

/**
 * The read path: L1, then L2, then the loader, with per-key coalescing inside the instance, a
 * Redis lock across instances, stale-while-revalidate, fail-safe and versioned invalidation.
 */
export class TwoTierCache {
  readonly instanceId: string;
  private readonly registry: PrefixRegistry;
  private readonly l1: L1MemoryTier;
  private readonly l2: L2RedisTier | undefined;
  private bus: InvalidationBus | undefined;
  private readonly observer: CacheObserver;
  private readonly tags: TagVersions;
  private readonly recent = new RecentInvalidations(10_000);
  private readonly inflight = new Map<string, Promise<Lookup<unknown>>>();
  private readonly pending: PendingInvalidations;
  private readonly globalTag: TagState;
  private readonly prefixTags: TagState[];
  private l1Sample = 0;
  private readonly random: () => number;
  private backgroundRefreshes = 0;
  private replayTimer: NodeJS.Timeout | undefined;
  private replayDelayMs = 0;
  private closed = false;

  constructor(private readonly options: TwoTierCacheOptions) {
    this.registry = options.registry;
    this.l1 = options.l1;
    this.l2 = options.l2;
    this.bus = options.bus;
    this.observer = options.observer;
    this.instanceId = options.instanceId ?? randomUUID();
    this.random = options.random ?? Math.random;
    this.tags = new TagVersions(options.maxTags);
    this.pending = new PendingInvalidations(options.maxPendingInvalidations);
    this.globalTag = this.tags.state(GLOBAL_TAG);
    this.prefixTags = options.registry.all().map((p) => this.tags.state(prefixTag(p.name)));
    if (!this.l2) for (const s of [this.globalTag, ...this.prefixTags]) s.synced = true;
    this.l2?.onCircuitChange((state) => {
      if (state === 'closed') void this.replayPending();
    });
  }

  /** The bus needs the cache (to apply messages) and the cache the bus (to send them): wired after both exist. */
  attachBus(bus: InvalidationBus): void {
    this.bus = bus;
  }

  key(prefix: string | RegisteredPrefix, ...parts: (string | number | boolean)[]): CacheKey {
    return buildKey(typeof prefix === 'string' ? this.registry.get(prefix) : prefix, parts);
  }

  /** The hook for the invalidation bus. */
  handleRemote(message: InvalidationMessage): void {
    this.forgetInflight(message.keys, message.tags.length > 0);
    for (const full of message.keys) {
      this.l1.delete(full, 'invalidated');
      this.recent.mark(full);
      this.observer.invalidation(this.prefixOfName(prefixNameOf(full)), 'remote');
    }
    for (const [tag, version] of message.tags) {
      this.tags.advance(tag, version);
      this.observer.invalidation(this.prefixOfName(prefixNameOf(tag)), 'remote');
    }
  }

  /**
   * A load that began before an invalidation may return the old value to the callers already
   * waiting on it, but lookups that start after must not join it.
   */
  private forgetInflight(fulls: readonly string[], all: boolean): void {
    if (all) this.inflight.clear();
    else for (const full of fulls) this.inflight.delete(full);
  }

  /** The bus may have lost messages: nothing in L1 can be trusted, and tag versions must be read again. */
  handleGap(): void {
    this.recent.markAll();
    this.l1.clear();
    if (this.l2) this.tags.markAllUnsynced();
  }

  /**
   * Returns synchronously on an L1 hit (no promise, no allocation beyond the result), and a
   * promise otherwise. Callers `await` either.
   */
  get<T>(key: CacheKey, loader: () => Promise<T>, options?: LoadOptions): Lookup<T> | Promise<Lookup<T>> {
    const prefix = key.prefix;
    this.observer.keyLookup(prefix, key.full);
    let fallback: CacheEntry<T> | undefined;
    let l1Stale = false;
    if (prefix.l1) {
      this.l1Sample = (this.l1Sample + 1) & 15;
      const sampled = this.l1Sample === 0;
      const t0 = sampled ? performance.now() : 0;
      const entry = this.l1.get(key.full) as CacheEntry<T> | undefined;
      if (sampled) this.observer.operation(prefix, 'l1', 'get', (performance.now() - t0) / 1e3);
      if (entry !== undefined) {
        if (stampsAreCurrent(entry.tags)) {
          const now = coarseNow();
          if (now < entry.freshUntil) {
            this.observer.request(prefix, 'l1', 'hit');
            this.traceL1(prefix, key, 'hit');
            return {
              value: entry.value,
              source: 'l1',
              stale: false,
              ttlMs: entry.freshUntil - now,
              l2: 'skipped',
              storedL1: false,
              storedL2: false,
            };
          }
          if (prefix.staleWhileRevalidate) {
            this.observer.request(prefix, 'l1', 'stale');
            this.traceL1(prefix, key, 'stale');
            this.refreshInBackground(key, loader, options, entry);
            return {
              value: entry.value,
              source: 'l1',
              stale: true,
              ttlMs: entry.freshUntil - now,
              l2: 'skipped',
              storedL1: false,
              storedL2: false,
            };
          }
          fallback = entry;
          l1Stale = true;
        } else {
          this.l1.delete(key.full, 'invalidated');
        }
      }
      this.observer.request(prefix, 'l1', 'miss');
    }
    return this.slow(key, loader, options, fallback, l1Stale);
  }

  /**
   * Many keys of one prefix at once: L1 first, then one L2 round trip per node for the rest,
   * then the loader for what is still missing (in one call, so it can batch its query).
   */
  async getMany<T>(
    keys: readonly CacheKey[],
    loadMissing: (missing: readonly CacheKey[]) => Promise<Map<string, T>>,
  ): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    const now = Date.now();
    let pending: CacheKey[] = [];
    for (const key of keys) {
      const entry = key.prefix.l1 ? (this.l1.get(key.full) as CacheEntry<T> | undefined) : undefined;
      if (entry && stampsAreCurrent(entry.tags) && now < entry.freshUntil) {
        this.observer.request(key.prefix, 'l1', 'hit');
        out.set(key.full, entry.value);
      } else {
        if (key.prefix.l1) this.observer.request(key.prefix, 'l1', 'miss');
        pending.push(key);
      }
    }
    if (pending.length === 0) return out;
    const startSeq = this.recent.now();
    const versions = new Map<string, string>();
    if (this.l2?.available) {
      try {
        await this.syncTags(pending.flatMap((k) => this.implicitTags(k.prefix)));
        const t0 = performance.now();
        const reads = await this.l2.readMany(pending.map((k) => k.full));
        const seconds = (performance.now() - t0) / 1e3;
        const still: CacheKey[] = [];
        pending.forEach((key, i) => {
          this.observer.operation(key.prefix, 'l2', 'get', seconds / pending.length);
          const read = reads[i]!;
          const entry = read.raw ? this.decode<T>(read.raw) : undefined;
          if (entry && stampsAreCurrent(entry.tags) && Date.now() < entry.freshUntil) {
            this.observer.request(key.prefix, 'l2', 'hit');
            out.set(key.full, entry.value);
            this.fillL1(key, entry, startSeq);
          } else {
            this.observer.request(key.prefix, 'l2', 'miss');
            versions.set(key.full, read.version);
            still.push(key);
          }
        });
        pending = still;
      } catch (error) {
        if (!(error instanceof L2Error || error instanceof L2UnavailableError)) throw error;
      }
    }
    if (pending.length === 0) return out;
    const stampsByKey = new Map(pending.map((k) => [k.full, this.tags.stamp(this.implicitTags(k.prefix))]));
    const t0 = performance.now();
    let loaded: Map<string, T>;
    try {
      loaded = await loadMissing(pending);
      for (const key of pending) this.observer.load(key.prefix, true, (performance.now() - t0) / 1e3 / pending.length);
    } catch (error) {
      for (const key of pending) this.observer.load(key.prefix, false, (performance.now() - t0) / 1e3 / pending.length);
      throw new LoaderError(pending[0]?.full ?? '', error);
    }
    await Promise.all(
      pending.map(async (key) => {
        const value = loaded.get(key.full);
        if (value === undefined) return;
        out.set(key.full, value);
        const { entry, serialized } = this.makeEntry(key.prefix, value, stampsByKey.get(key.full) ?? []);
        const version = versions.get(key.full);
        const outcome = version === undefined ? 'failed' : await this.storeL2(key, serialized, entry, version);
        if (outcome !== 'rejected') this.fillL1(key, entry, startSeq);
      }),
    );
    return out;
  }

  /**
   * Writes an entry to L2 unless a write invalidated the key since its version was read.
   * `rejected` means our value is already old and must not reach L1 either; `failed` means
   * Redis could not be reached, which does not make the value wrong.
   */
  private async storeL2<T>(
    key: CacheKey,
    serialized: string,
    entry: CacheEntry<T>,
    version: string,
  ): Promise<'stored' | 'rejected' | 'failed'> {
    if (!this.l2) return 'failed';
    try {
      const t1 = performance.now();
      const stored = await this.l2.writeIfVersion(key.full, serialized, entry.staleUntil - Date.now(), version);
      this.observer.operation(key.prefix, 'l2', 'set', (performance.now() - t1) / 1e3);
      return stored ? 'stored' : 'rejected';
    } catch (error) {
      if (!(error instanceof L2Error || error instanceof L2UnavailableError)) throw error;
      return 'failed';
    }
  }

  private traceL1(prefix: RegisteredPrefix, key: CacheKey, result: 'hit' | 'stale'): void {
    const trace = this.observer.startLookup(prefix, key.full);
    if (trace) {
      trace.tierReached('l1', result);
      trace.end();
    }
  }

  private slow<T>(
    key: CacheKey,
    loader: () => Promise<T>,
    options: LoadOptions | undefined,
    fallback: CacheEntry<T> | undefined,
    l1Stale: boolean,
  ): Promise<Lookup<T>> {
    const running = this.inflight.get(key.full) as Promise<Lookup<T>> | undefined;
    if (running) {
      this.observer.coalesced(key.prefix);
      return running;
    }
    let tagStates: TagState[];
    try {
      tagStates = this.tagStatesFor(key.prefix, options?.tags);
    } catch (error) {
      return Promise.reject(error);
    }
    const ctx: SlowContext<T> = { key, loader, tagStates, fallback, startSeq: this.recent.now(), mustLoad: l1Stale };
    const promise = this.resolve(ctx).finally(() => {
      if (this.inflight.get(key.full) === promise) this.inflight.delete(key.full);
    });
    ctx.self = promise;
    if (this.inflight.size < DEFAULT_MAX_INFLIGHT) this.inflight.set(key.full, promise);
    return promise;
  }

  private async resolve<T>(ctx: SlowContext<T>): Promise<Lookup<T>> {
    const trace = this.observer.startLookup(ctx.key.prefix, ctx.key.full);
    try {
      const lookup = trace
        ? await trace.within(() => this.resolveFromL2OrLoad(ctx, trace))
        : await this.resolveFromL2OrLoad(ctx, undefined);
      return lookup;
    } catch (error) {
      trace?.fail(error);
      throw error;
    } finally {
      trace?.end();
    }
  }

  private async resolveFromL2OrLoad<T>(ctx: SlowContext<T>, trace: LookupTrace | undefined): Promise<Lookup<T>> {
    const { key } = ctx;
    const prefix = key.prefix;
    let version: string | undefined;
    let l2State: Lookup<T>['l2'] = 'unavailable';
    let fallback = ctx.fallback;
    let lockToken: string | undefined;

    if (this.l2?.available) {
      try {
        await this.syncTags(ctx.tagStates);
        const found = await this.readL2<T>(key);
        version = found.version;
        if (found.entry) {
          const now = Date.now();
          if (now < found.entry.freshUntil) {
            this.observer.request(prefix, 'l2', 'hit');
            trace?.tierReached('l2', 'hit');
            return this.answerFromL2(key, found.entry, ctx.startSeq, now);
          }
          if (prefix.staleWhileRevalidate && !ctx.mustLoad) {
            this.observer.request(prefix, 'l2', 'stale');
            trace?.tierReached('l2', 'stale');
            this.refreshInBackground(key, ctx.loader, { tags: tagNamesOf(ctx.tagStates) }, found.entry, ctx.self);
            return {
              value: found.entry.value,
              source: 'l2',
              stale: true,
              ttlMs: found.entry.freshUntil - now,
              l2: 'stale',
              storedL1: false,
              storedL2: false,
            };
          }
          if (!fallback || found.entry.staleUntil > fallback.staleUntil) fallback = found.entry;
        }
        this.observer.request(prefix, 'l2', 'miss');
        l2State = 'miss';
        const waited = await this.waitForOtherLoader(key, ctx);
        if (waited.kind === 'value') {
          trace?.tierReached('l2', 'hit');
          return waited.lookup;
        }
        lockToken = waited.token;
        if (waited.version !== undefined) version = waited.version;
      } catch (error) {
        if (!(error instanceof L2Error || error instanceof L2UnavailableError)) throw error;
        l2State = 'unavailable';
        version = undefined;
      }
    }

    const stamps = this.tags.stamp(ctx.tagStates);
    let value: T;
    const t0 = performance.now();
    try {
      value = await this.observer.traceLoad(prefix, ctx.loader);
      this.observer.load(prefix, true, (performance.now() - t0) / 1e3);
    } catch (error) {
      this.observer.load(prefix, false, (performance.now() - t0) / 1e3);
      if (lockToken) void this.releaseLock(key, lockToken);
      const now = Date.now();
      if (fallback && now < fallback.staleUntil && stampsAreCurrent(fallback.tags)) {
        // Fail-safe: an old answer beats an error while the source of truth is down.
        trace?.tierReached(fallback === ctx.fallback ? 'l1' : 'l2', 'stale');
        return {
          value: fallback.value,
          source: fallback === ctx.fallback ? 'l1' : 'l2',
          stale: true,
          ttlMs: fallback.freshUntil - now,
          l2: l2State,
          storedL1: false,
          storedL2: false,
        };
      }
      throw new LoaderError(key.full, error);
    }
    trace?.tierReached('origin', 'miss');
    const { entry, serialized } = this.makeEntry(prefix, value, stamps);
    let storedL2 = false;
    let mayFillL1 = true;
    if (this.l2 && version !== undefined) {
      const outcome = await this.storeL2(key, serialized, entry, version);
      storedL2 = outcome === 'stored';
      mayFillL1 = outcome !== 'rejected';
    }
    if (lockToken) void this.releaseLock(key, lockToken);
    const storedL1 = mayFillL1 && this.fillL1(key, entry, ctx.startSeq);
    return {
      value,
      source: 'origin',
      stale: false,
      ttlMs: entry.freshUntil - Date.now(),
      l2: l2State,
      storedL1,
      storedL2,
    };
  }

  /**
   * Across instances only one loads a cold key: the others wait for its value in L2, and load
   * themselves only if it does not come within lockWaitMs (a crashed or slow winner).
   */
  private async waitForOtherLoader<T>(
    key: CacheKey,
    ctx: SlowContext<T>,
  ): Promise<{ kind: 'value'; lookup: Lookup<T> } | { kind: 'load'; token?: string; version?: string }> {
    const l2 = this.l2!;
    const token = randomUUID();
    if (await l2.tryLock(key.full, token, this.options.lockTtlMs)) return { kind: 'load', token };
    const deadline = Date.now() + this.options.lockWaitMs;
    let version: string | undefined;
    while (Date.now() < deadline) {
      await sleep(this.options.lockPollMs);
      const found = await this.readL2<T>(key);
      version = found.version;
      const now = Date.now();
      if (found.entry && now < found.entry.freshUntil) {
        this.observer.coalesced(key.prefix);
        return { kind: 'value', lookup: this.answerFromL2(key, found.entry, ctx.startSeq, now) };
      }
      // The winner finished without leaving a value (its write lost to an invalidation): load now.
      if (await l2.tryLock(key.full, token, this.options.lockTtlMs)) {
        // Double-checked: the winner may have written and released between our read and our lock.
        const recheck = await this.readL2<T>(key);
        const at = Date.now();
        if (recheck.entry && at < recheck.entry.freshUntil) {
          void this.releaseLock(key, token);
          this.observer.coalesced(key.prefix);
          return { kind: 'value', lookup: this.answerFromL2(key, recheck.entry, ctx.startSeq, at) };
        }
        return { kind: 'load', token, version: recheck.version };
      }
    }
    return version === undefined ? { kind: 'load' } : { kind: 'load', version };
  }

  /** A fresh entry found in L2: it fills L1 (unless invalidated meanwhile) and answers. */
  private answerFromL2<T>(key: CacheKey, entry: CacheEntry<T>, startSeq: number, now: number): Lookup<T> {
    const storedL1 = this.fillL1(key, entry, startSeq);
    return {
      value: entry.value,
      source: 'l2',
      stale: false,
      ttlMs: entry.freshUntil - now,
      l2: 'hit',
      storedL1,
      storedL2: false,
    };
  }

  private async readL2<T>(key: CacheKey): Promise<{ entry: CacheEntry<T> | undefined; version: string }> {
    const t0 = performance.now();
    const read = await this.l2!.read(key.full);
    this.observer.operation(key.prefix, 'l2', 'get', (performance.now() - t0) / 1e3);
    if (read.raw === null) return { entry: undefined, version: read.version };
    const entry = this.decode<T>(read.raw);
    if (!entry || !stampsAreCurrent(entry.tags)) return { entry: undefined, version: read.version };
    return { entry, version: read.version };
  }

  private decode<T>(raw: string): CacheEntry<T> | undefined {
    try {
      return deserializeEntry<T>(raw, this.tags);
    } catch {
      // A corrupt or foreign entry is a miss; the next load overwrites it.
      return undefined;
    }
  }

  private async releaseLock(key: CacheKey, token: string): Promise<void> {
    try {
      await this.l2?.releaseLock(key.full, token);
    } catch {
      // The lock expires by itself after lockTtlMs; failing to release it early only delays others.
    }
  }

  /**
   * Starts a refresh that the caller does not wait for. It is registered as the key's in-flight
   * lookup, so a read that arrives meanwhile (L1 may drop the stale entry at any time) joins it
   * and gets its answer: the refreshed value, the stale one as fail-safe, or a typed error.
   * `replacing` is the caller's own in-flight lookup, which must not count as a refresh already running.
   */
  private refreshInBackground<T>(
    key: CacheKey,
    loader: () => Promise<T>,
    options: LoadOptions | undefined,
    stale: CacheEntry<T>,
    replacing?: Promise<Lookup<unknown>>,
  ): void {
    const running = this.inflight.get(key.full);
    if (running !== undefined && running !== replacing) return;
    let tagStates: TagState[];
    try {
      tagStates = this.tagStatesFor(key.prefix, options?.tags);
    } catch {
      return; // Too many tags: the stale value was served; the next foreground read reports the error.
    }
    this.backgroundRefreshes++;
    const ctx: SlowContext<T> = {
      key,
      loader,
      tagStates,
      fallback: stale,
      startSeq: this.recent.now(),
      mustLoad: true,
    };
    const promise: Promise<Lookup<T>> = this.resolveFromL2OrLoad(ctx, undefined).finally(() => {
      if (this.inflight.get(key.full) === promise) this.inflight.delete(key.full);
    });
    // The stale value was already served; a failure is counted by the load metrics and retried on the next read.
    promise.catch(() => undefined);
    this.inflight.set(key.full, promise);
  }

  private makeEntry<T>(
    prefix: RegisteredPrefix,
    value: T,
    stamps: readonly TagStamp[],
  ): { entry: CacheEntry<T>; serialized: string } {
    const now = Date.now();
    const freshUntil = now + Math.round(prefix.freshMs * (1 + prefix.jitter * this.random()));
    const staleUntil = freshUntil + prefix.graceMs;
    const serialized = serializeEntry(value, freshUntil, staleUntil, stamps);
    return { entry: { value, freshUntil, staleUntil, tags: stamps, size: entrySize(serialized) }, serialized };
  }

  private fillL1<T>(key: CacheKey, entry: CacheEntry<T>, startSeq: number): boolean {
    if (!key.prefix.l1) return false;
    if (this.recent.invalidatedSince(key.full, startSeq) || !stampsAreCurrent(entry.tags)) return false;
    const t0 = performance.now();
    const stored = this.l1.set(key.full, entry as CacheEntry<unknown>, Date.now());
    this.observer.operation(key.prefix, 'l1', 'set', (performance.now() - t0) / 1e3);
    return stored;
  }

  private implicitTags(prefix: RegisteredPrefix): TagState[] {
    return [this.globalTag, this.prefixTags[prefix.index]!];
  }

  private tagStatesFor(prefix: RegisteredPrefix, tags: readonly string[] | undefined): TagState[] {
    const states = this.implicitTags(prefix);
    if (tags) for (const t of tags) states.push(this.tags.state(t));
    return states;
  }

  /** Reads from Redis the versions of tags this instance has not seen yet, before trusting L2 entries that carry them. */
  private async syncTags(states: readonly TagState[]): Promise<void> {
    const unsynced = this.tags.unsynced(states);
    if (unsynced.length === 0 || !this.l2) return;
    const unique = [...new Set(unsynced)];
    const versions = await this.l2.readTags(unique.map((s) => s.name));
    unique.forEach((state, i) => {
      const v = versions[i] ?? 0;
      if (v > state.version) state.version = v;
      state.synced = true;
    });
  }

  /**
   * Drops what a write made stale, here and (through Redis) everywhere. Returns once L2 is
   * cleaned and the message sent, so a write that returns is visible to the next read on any
   * instance that has received the message.
   */
  async invalidate(target: {
    keys?: readonly CacheKey[];
    tags?: readonly string[];
    prefixes?: readonly string[];
  }): Promise<void> {
    const fulls = (target.keys ?? []).map((k) => k.full);
    const tagNames = [
      ...(target.tags ?? []),
      ...(target.prefixes ?? []).map((p) => prefixTag(this.registry.get(p).name)),
    ];
    this.forgetInflight(fulls, tagNames.length > 0);
    for (const key of target.keys ?? []) {
      this.l1.delete(key.full, 'invalidated');
      this.recent.mark(key.full);
      this.observer.invalidation(key.prefix, 'local');
    }
    for (const name of tagNames) {
      const state = this.tags.state(name);
      state.version++;
      this.observer.invalidation(this.prefixOfName(prefixNameOf(name)), 'local');
    }
    if (!this.l2) return;
    try {
      await this.pushInvalidation(fulls, tagNames);
    } catch (error) {
      if (!(error instanceof L2Error || error instanceof L2UnavailableError)) throw error;
      this.pending.add(fulls, tagNames);
      this.scheduleReplay();
    }
    // A lookup that read L2 between our first mark and the delete must not fill L1 either.
    for (const full of fulls) this.recent.mark(full);
  }

  private async pushInvalidation(fulls: readonly string[], tagNames: readonly string[]): Promise<void> {
    const l2 = this.l2!;
    const t0 = performance.now();
    if (fulls.length > 0) await l2.invalidate(fulls);
    const versions = tagNames.length > 0 ? await l2.bumpTags(tagNames) : [];
    const tags: [string, number][] = tagNames.map((name, i) => {
      const v = versions[i] ?? 0;
      this.tags.advance(name, v);
      return [name, Math.max(v, this.tags.state(name).version)];
    });
    const seconds = (performance.now() - t0) / 1e3;
    for (const full of fulls)
      this.observer.operation(
        this.prefixOfName(prefixNameOf(full)),
        'l2',
        'delete',
        seconds / Math.max(1, fulls.length),
      );
    if (this.bus) await this.bus.send({ keys: [...fulls], tags });
  }

  /**
   * Redis is back: what we could not tell it during the outage is told now. If too much was
   * lost to remember, the global tag is bumped, which makes every entry everywhere stale.
   */
  private async replayPending(): Promise<void> {
    const taken = this.pending.take();
    if (!taken) return;
    try {
      await this.pushInvalidation(taken.keys, taken.tags);
      this.replayDelayMs = 0;
    } catch (error) {
      if (!(error instanceof L2Error || error instanceof L2UnavailableError)) throw error;
      this.pending.add(taken.keys, taken.tags);
      this.scheduleReplay();
    }
  }

  /**
   * One failed call (a timeout under load) must not leave other instances stale until the
   * next outage ends: pending invalidations are retried with backoff until they go through.
   */
  private scheduleReplay(): void {
    if (this.replayTimer || this.closed) return;
    this.replayDelayMs = Math.min(1_000, Math.max(25, this.replayDelayMs * 2));
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      void this.replayPending();
    }, this.replayDelayMs);
    this.replayTimer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.replayTimer) clearTimeout(this.replayTimer);
    this.replayTimer = undefined;
  }

  get pendingInvalidations(): number {
    return this.pending.size;
  }

  /** Admin inspection of one key in both tiers. */
  async inspect(full: string): Promise<{
    key: string;
    prefix: string;
    l1: { present: boolean; freshForMs?: number; staleForMs?: number; bytes?: number; current?: boolean };
    l2:
      | { present: boolean; ttlMs?: number; bytes?: number; slot?: number; node?: string; error?: string }
      | { disabled: true };
  }> {
    const prefixName = prefixNameOf(full) ?? PrefixRegistry.OTHER;
    const now = Date.now();
    const e = this.l1.peek(full);
    const l1 = e
      ? {
          present: true,
          freshForMs: e.freshUntil - now,
          staleForMs: e.staleUntil - now,
          bytes: e.size,
          current: stampsAreCurrent(e.tags),
        }
      : { present: false };
    if (!this.l2) return { key: full, prefix: prefixName, l1, l2: { disabled: true } };
    const owner = this.l2.slotOwner(full);
    try {
      const [ttl, bytes] = await Promise.all([this.l2.pttl(full), this.l2.strlen(full)]);
      return {
        key: full,
        prefix: prefixName,
        l1,
        l2: { present: ttl !== -2, ...(ttl >= 0 ? { ttlMs: ttl } : {}), bytes, ...owner },
      };
    } catch (error) {
      return {
        key: full,
        prefix: prefixName,
        l1,
        l2: { present: false, ...owner, error: error instanceof Error ? error.message : String(error) },
      };
    }
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
      l2: this.l2 ? this.l2.status() : { disabled: true },
      bus: this.bus ? this.bus.status() : { disabled: true },
      pendingInvalidations: this.pendingInvalidations,
      tags: this.tags.size,
      inflight: this.inflight.size,
      backgroundRefreshes: this.backgroundRefreshes,
    };
  }

  private prefixOfName(name: string | undefined): RegisteredPrefix {
    return (name !== undefined && this.registry.find(name)) || this.registry.other;
  }
}

/**
 * Wall-clock milliseconds for the L1 hit path, read from the system at most about once a
 * millisecond: Date.now() costs ~35 ns on this project's VMs, as much as the LRU look-up itself.
 * Freshness is decided to within that resolution, as lru-cache's own TTL checks are (ttlResolution).
 * The timer is the one captured at load, so fake timers in a test cannot freeze this clock.
 */
let cachedNow = 0;
const realSetTimeout = globalThis.setTimeout;
const clearCachedNow = (): void => {
  cachedNow = 0;
};
function coarseNow(): number {
  if (cachedNow === 0) {
    cachedNow = Date.now();
    realSetTimeout(clearCachedNow, 1).unref();
  }
  return cachedNow;
}

/** The explicit tags of a lookup (its implicit global and prefix tags are added again by tagStatesFor). */
function tagNamesOf(states: readonly TagState[]): string[] {
  return states.slice(2).map((t) => t.name);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
