import { performance } from 'node:perf_hooks';
import { type CacheEntry, deserializeEntry, entrySize, serializeEntry } from './cache-entry.ts';
import type { CacheKey } from './cache-key.ts';
import { type Clock, systemClock } from './clock.ts';
import { L2Error, L2UnavailableError } from './errors.ts';
import { GapKeptEntries } from './gap-kept-entries.ts';
import type { L1MemoryTier } from './l1-memory-tier.ts';
import type { L2RedisTier } from './l2-redis-tier.ts';
import type { PrefixRegistry, RegisteredPrefix } from './prefix-registry.ts';
import { RecentInvalidations } from './recent-invalidations.ts';
import { GLOBAL_TAG, prefixTag, stampsAreCurrent, type TagStamp, type TagState, TagVersions } from './tag-versions.ts';
import type { CacheObserver } from './types.ts';
import { UnconfirmedDeletes } from './unconfirmed-deletes.ts';

export interface CacheStackOptions {
  registry: PrefixRegistry;
  l1: L1MemoryTier;
  l2?: L2RedisTier | undefined;
  observer: CacheObserver;
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
  maxTags: number;
}

/** What an L2 read found: an entry that may be served (fresh or within grace) and the key's version. */
export interface L2Found<T> {
  entry: CacheEntry<T> | undefined;
  version: string;
}

/**
 * The tiers and the bookkeeping every part of the read and write paths shares: tag versions,
 * recent invalidations, unconfirmed L2 deletes, the clock. Its methods answer "may this entry
 * be used" and "store this entry", each the same way wherever it is asked.
 */
export class CacheStack {
  readonly registry: PrefixRegistry;
  readonly l1: L1MemoryTier;
  readonly l2: L2RedisTier | undefined;
  readonly observer: CacheObserver;
  readonly clock: Clock;
  readonly tags: TagVersions;
  readonly recent = new RecentInvalidations(10_000);
  readonly unconfirmed = new UnconfirmedDeletes(10_000);
  /** What bus gaps dropped from L1, for reads that neither the loader nor L2 can answer: at most 10,000 entries, 16 MiB. */
  readonly gapKept = new GapKeptEntries(10_000, 16 * 1024 * 1024);
  private readonly random: () => number;
  private readonly globalTag: TagState;
  private readonly prefixTags: TagState[];

  constructor(options: CacheStackOptions) {
    this.registry = options.registry;
    this.l1 = options.l1;
    this.l2 = options.l2;
    this.observer = options.observer;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.tags = new TagVersions(options.maxTags);
    this.globalTag = this.tags.state(GLOBAL_TAG);
    this.prefixTags = options.registry.all().map((p) => this.tags.state(prefixTag(p.name)));
    if (!this.l2) for (const s of [this.globalTag, ...this.prefixTags]) s.synced = true;
  }

  now(): number {
    return this.clock.now();
  }

  implicitTags(prefix: RegisteredPrefix): TagState[] {
    return [this.globalTag, this.prefixTags[prefix.index]!];
  }

  tagStatesFor(prefix: RegisteredPrefix, tags: readonly string[] | undefined): TagState[] {
    const states = this.implicitTags(prefix);
    if (tags) for (const t of tags) states.push(this.tags.state(t));
    return states;
  }

  /**
   * Reads from Redis the versions of tags this instance has not seen yet, before trusting L2
   * entries that carry them. Nothing (not a resolved promise) when every tag is known, as on
   * nearly every read: the caller then has nothing to await.
   */
  syncTags(states: readonly TagState[]): Promise<void> | undefined {
    const unsynced = this.tags.unsynced(states);
    if (unsynced.length === 0 || !this.l2) return undefined;
    return this.readTagVersions(this.l2, unsynced);
  }

  private async readTagVersions(l2: L2RedisTier, unsynced: readonly TagState[]): Promise<void> {
    const unique = [...new Set(unsynced)];
    const versions = await l2.readTags(unique.map((s) => s.name));
    unique.forEach((state, i) => {
      const v = versions[i] ?? 0;
      if (v > state.version) state.version = v;
      state.synced = true;
    });
  }

  /** An L2 entry may be used if it decodes, its tags are current, it is within grace and no unconfirmed delete covers it. */
  usableFromL2<T>(full: string, raw: string | null): CacheEntry<T> | undefined {
    if (raw === null) return undefined;
    let entry: CacheEntry<T>;
    try {
      entry = deserializeEntry<T>(raw, this.tags);
    } catch {
      return undefined; // A corrupt or foreign entry is a miss; the next load overwrites it.
    }
    if (!stampsAreCurrent(entry.tags) || this.now() >= entry.staleUntil) return undefined;
    if (this.unconfirmed.outdated(full, entry.loadedAt)) return undefined;
    return entry;
  }

  async readL2<T>(key: CacheKey): Promise<L2Found<T>> {
    const t0 = performance.now();
    const read = await this.l2!.read(key.full);
    this.observer.operation(key.prefix, 'l2', 'get', (performance.now() - t0) / 1e3);
    return { entry: this.usableFromL2<T>(key.full, read.raw), version: read.version };
  }

  makeEntry<T>(
    prefix: RegisteredPrefix,
    value: T,
    stamps: readonly TagStamp[],
    loadedAt: number,
  ): { entry: CacheEntry<T>; serialized: string } {
    const now = this.now();
    const freshUntil = now + Math.round(prefix.freshMs * (1 + prefix.jitter * this.random()));
    const staleUntil = freshUntil + prefix.graceMs;
    const serialized = serializeEntry(value, loadedAt, freshUntil, staleUntil, stamps);
    return {
      entry: { value, loadedAt, freshUntil, staleUntil, tags: stamps, size: entrySize(serialized) },
      serialized,
    };
  }

  /**
   * Writes an entry to L2 unless a write invalidated the key since its version was read.
   * `rejected` means our value is already old and must not reach L1 either; `failed` means
   * Redis could not be reached, which does not make the value wrong.
   */
  async storeL2<T>(
    key: CacheKey,
    serialized: string,
    entry: CacheEntry<T>,
    version: string,
  ): Promise<'stored' | 'rejected' | 'failed'> {
    if (!this.l2) return 'failed';
    try {
      const t1 = performance.now();
      // Redis expires on real time; an injected clock only decides freshness, so keep at least the grace span.
      const ttl = Math.max(entry.staleUntil - this.now(), 1);
      const stored = await this.l2.writeIfVersion(key.full, serialized, ttl, version);
      this.observer.operation(key.prefix, 'l2', 'set', (performance.now() - t1) / 1e3);
      return stored ? 'stored' : 'rejected';
    } catch (error) {
      if (!isL2Failure(error)) throw error;
      return 'failed';
    }
  }

  fillL1<T>(key: CacheKey, entry: CacheEntry<T>, startSeq: number): boolean {
    this.gapKept.supersede(key.full, entry as CacheEntry<unknown>);
    if (!key.prefix.l1) return false;
    if (this.recent.invalidatedSince(key.full, startSeq) || !stampsAreCurrent(entry.tags)) return false;
    const t0 = performance.now();
    const stored = this.l1.set(key.full, entry as CacheEntry<unknown>, this.now());
    this.observer.operation(key.prefix, 'l1', 'set', (performance.now() - t0) / 1e3);
    return stored;
  }

  staleServed(prefix: RegisteredPrefix, entry: CacheEntry<unknown>, now: number): void {
    this.observer.semantics?.staleServed(prefix, Math.max(0, now - entry.freshUntil) / 1e3);
  }

  prefixOfName(name: string | undefined): RegisteredPrefix {
    return (name !== undefined && this.registry.find(name)) || this.registry.other;
  }
}

export function isL2Failure(error: unknown): error is L2Error | L2UnavailableError {
  return error instanceof L2Error || error instanceof L2UnavailableError;
}
