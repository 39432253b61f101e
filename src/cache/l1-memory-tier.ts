import type { LRUCache } from 'lru-cache';
import { hashKey } from './admission/frequency-sketch.ts';
import { MainRegionAdmission } from './admission/main-region-admission.ts';
import { PrefixBudgets } from './admission/prefix-budgets.ts';
import { TinyLfuAdmission } from './admission/tiny-lfu.ts';
import type { CacheEntry } from './cache-entry.ts';
import { type Clock, systemClock } from './clock.ts';
import { type L1Entry, L1RegionBookkeeping } from './l1-region-bookkeeping.ts';
import { retainedEntryBytes } from './l1-retained-size.ts';
import type { PrefixRegistry, RegisteredPrefix } from './prefix-registry.ts';
import type { CacheObserver, EvictionReason, L1Admission } from './types.ts';

export interface L1Options {
  maxEntries: number;
  maxBytes: number;
  /** `lru` makes every prefix plain LRU whatever its policy says; absent or `tinylfu`: each prefix's own policy. */
  admission?: L1Admission;
  /** `false` ignores the prefixes' byte shares. Default true. */
  prefixBudgets?: boolean;
  /**
   * Fraction of L1 (bytes and entries) given to the admission window. Default 0.1: Caffeine starts
   * at 1% and tunes it by hill climbing; untuned, 10% did better on recency-heavy shop traces
   * (bench/hit-ratio.ts, cache2k web07/web12) and as well on the Zipf mix and under a flood.
   */
  windowShare?: number;
  /** For the rare random admission of a warm candidate; injectable so tests are deterministic. */
  random?: () => number;
  /**
   * The cache's clock, which entries' freshness and grace are dated by: a window evictee's time
   * left in L1 is its grace end minus this clock's now. The system clock unless a test injects one.
   */
  clock?: Clock;
}

type Entry = CacheEntry<unknown>;

/** About the smallest entry the service stores (a product is ~950 bytes): sizes the frequency sketch. */
const TYPICAL_ENTRY_BYTES = 1_024;

/**
 * The in-process tier, W-TinyLFU on lru-cache storage. A new key of a TinyLFU prefix enters a
 * small LRU window (10%); what the window pushes out competes with the main region's least
 * recently used entry and replaces it only if a count-min sketch says it is asked for more
 * often. LRU prefixes enter the main region directly. Prefixes given a byte share drop their
 * own oldest keys when over it. Sizes are the heap the entry holds (l1-retained-size.ts), so
 * the byte bound bounds memory. Every eviction is reported with its reason, every admission
 * decision with its result.
 */
export class L1MemoryTier {
  private readonly main: LRUCache<string, L1Entry>;
  private readonly window: LRUCache<string, L1Entry> | undefined;
  private readonly frequency: TinyLfuAdmission | undefined;
  /** Where the window's evictees compete for a place in the main region. */
  private readonly toMain: MainRegionAdmission<L1Entry>;
  private readonly budgets: PrefixBudgets;
  /** Builds the regions; counts, budgets and reports what enters and leaves them. */
  private readonly bookkeeping: L1RegionBookkeeping;
  /** By prefix index: whether the prefix goes through the window. */
  private readonly viaWindow: boolean[];
  private readonly maxEntryBytes: number;
  private readonly windowMaxBytes: number;

  constructor(options: L1Options, registry: PrefixRegistry, observer: CacheObserver) {
    if (!(options.maxEntries > 0) || !(options.maxBytes > 0)) throw new Error('L1 maxEntries and maxBytes must be > 0');
    const prefixes: readonly RegisteredPrefix[] = [...registry.all(), registry.other];
    this.viaWindow = prefixes.map((p) => options.admission !== 'lru' && (p.admission ?? 'tinylfu') === 'tinylfu');
    this.budgets = new PrefixBudgets(
      prefixes.map((p) => (options.prefixBudgets === false ? 1 : (p.l1ByteShare ?? 1))),
      options.maxBytes,
    );
    this.bookkeeping = new L1RegionBookkeeping(prefixes.length, registry, this.budgets, observer);
    const windowed = this.viaWindow.some(Boolean) && options.maxEntries >= 2;
    const share = windowed ? (options.windowShare ?? 0.1) : 0;
    this.windowMaxBytes = Math.floor(options.maxBytes * share);
    const windowMaxEntries = windowed ? Math.max(1, Math.floor(options.maxEntries * share)) : 0;
    const mainMaxBytes = options.maxBytes - this.windowMaxBytes;
    const mainMaxEntries = options.maxEntries - windowMaxEntries;
    // One oversized entry must not flush a tenth of the cache.
    this.maxEntryBytes = Math.max(1, Math.floor(options.maxBytes / 10));
    this.main = this.bookkeeping.region(mainMaxEntries, mainMaxBytes);
    if (windowed && this.windowMaxBytes > 0) {
      this.window = this.bookkeeping.region(windowMaxEntries, this.windowMaxBytes, (full, entry, prefix) =>
        this.toMain.offer(full, entry, prefix),
      );
      // The sketch is sized, and aged, by the entries that can really be held: the byte bound usually binds first.
      const expected = Math.min(options.maxEntries, Math.ceil(options.maxBytes / TYPICAL_ENTRY_BYTES));
      this.frequency = new TinyLfuAdmission(expected, options.random);
    }
    this.toMain = new MainRegionAdmission(
      this.main,
      { maxBytes: mainMaxBytes, maxEntries: mainMaxEntries },
      this.frequency,
      options.clock ?? systemClock,
      observer,
    );
  }

  /**
   * The hit path: a look-up in each region that holds anything, main first (it holds 90% of L1
   * and what was admitted for being asked for often), then the access recorded for the sketch
   * (a hit with the hash its entry carries, or not at all while the key is saturated; a miss by
   * hashing the key).
   */
  get(full: string): Entry | undefined {
    let found = this.main.size === 0 ? undefined : this.main.get(full);
    if (found === undefined && this.window !== undefined && this.window.size !== 0) found = this.window.get(full);
    if (this.frequency !== undefined) {
      if (found === undefined) this.frequency.recordHash(hashKey(full), undefined);
      else this.frequency.recordHash(found.hash, found);
    }
    return found;
  }

  /** Reads without touching recency or frequency, for inspection. */
  peek(full: string): Entry | undefined {
    return this.main.peek(full) ?? this.window?.peek(full);
  }

  remainingTtl(full: string): number {
    if (this.main.peek(full) !== undefined) return this.main.getRemainingTTL(full);
    return this.window?.getRemainingTTL(full) ?? 0;
  }

  /** Returns whether the entry is now in L1 (false when too big, expired, or not admitted). */
  set(full: string, entry: Entry, now: number): boolean {
    const ttl = entry.staleUntil - now;
    if (ttl <= 0) return false;
    const prefix = this.bookkeeping.prefixOf(full);
    const size =
      retainedEntryBytes(full, entry) + (this.budgets.isCapped(prefix.index) ? PrefixBudgets.ORDER_BYTES_PER_KEY : 0);
    if (size > this.maxEntryBytes) {
      // The value in L1, if any, is older than this one: it must not stay.
      this.delete(full, 'size');
      return false;
    }
    const sized: L1Entry = {
      value: entry.value,
      loadedAt: entry.loadedAt,
      freshUntil: entry.freshUntil,
      staleUntil: entry.staleUntil,
      tags: entry.tags,
      size,
      hash: this.frequency === undefined ? 0 : hashKey(full),
      saturatedIn: -1,
    };
    if (!this.window || !this.viaWindow[prefix.index] || this.main.peek(full, { allowStale: true }) !== undefined) {
      this.main.set(full, sized, { ttl, size });
    } else if (size > this.windowMaxBytes) {
      this.toMain.offer(full, sized, prefix);
    } else {
      this.window.set(full, sized, { ttl, size });
    }
    this.enforceBudgets();
    return this.peek(full) === sized;
  }

  delete(full: string, reason: EvictionReason): boolean {
    this.bookkeeping.deleteReason = reason;
    try {
      return this.main.delete(full) || (this.window?.delete(full) ?? false);
    } finally {
      this.bookkeeping.deleteReason = 'invalidated';
    }
  }

  /** Every entry held, main region then window, each most recently used first; touches neither recency nor frequency. */
  *held(): Generator<[string, Entry]> {
    yield* this.main.entries();
    if (this.window) yield* this.window.entries();
  }

  /** Drops everything, counting each entry as invalidated: used when this instance may have missed invalidations. */
  clear(): void {
    this.bookkeeping.deleteReason = 'invalidated';
    this.main.clear();
    this.window?.clear();
  }

  entries(prefixIndex: number): number {
    return this.bookkeeping.entries(prefixIndex);
  }

  /** Accounted bytes a prefix holds, and its cap (Infinity when it has none). */
  prefixBytes(prefixIndex: number): { bytes: number; cap: number } {
    return { bytes: this.budgets.bytes(prefixIndex), cap: this.budgets.cap(prefixIndex) };
  }

  get size(): number {
    return this.main.size + (this.window?.size ?? 0);
  }

  get bytes(): number {
    return this.main.calculatedSize + (this.window?.calculatedSize ?? 0);
  }

  /** Whether a prefix's new keys pass through the admission window (TinyLFU) or enter directly (LRU). */
  admissionOf(prefixIndex: number): L1Admission {
    return this.window && this.viaWindow[prefixIndex] ? 'tinylfu' : 'lru';
  }

  private enforceBudgets(): void {
    for (const index of this.budgets.capped) {
      for (
        let oldest = this.budgets.overflowing(index);
        oldest !== undefined;
        oldest = this.budgets.overflowing(index)
      ) {
        // A key the regions no longer hold cannot be evicted: drop it from the order so the loop ends.
        if (!this.delete(oldest, 'size')) this.budgets.forget(index, oldest);
      }
    }
  }
}
