import { LRUCache } from 'lru-cache';
import type { PrefixBudgets } from './admission/prefix-budgets.ts';
import type { SaturationMark } from './admission/tiny-lfu.ts';
import type { CacheEntry } from './cache-entry.ts';
import { prefixNameOf } from './cache-key.ts';
import type { PrefixRegistry, RegisteredPrefix } from './prefix-registry.ts';
import type { CacheObserver, EvictionReason } from './types.ts';

/**
 * What L1 stores: its own copy of the entry, of one shape (so the hit path's property reads stay
 * monomorphic), with its accounted size, the key's sketch hash (a hit records its access without
 * hashing the key again) and when the sketch last found the key saturated (a hit then records nothing).
 */
export interface L1Entry extends CacheEntry<unknown>, SaturationMark {
  readonly hash: number;
}

/** Where the window sends what it pushes out, instead of reporting it evicted: the main region's admission. */
export type WindowEvictee = (full: string, entry: L1Entry, prefix: RegisteredPrefix) => void;

/**
 * L1's lru-cache regions and the bookkeeping their insert and dispose hooks do: entries and
 * bytes held per prefix (the latter in the prefix budgets), and every departure reported to
 * the observer with its reason, except a window evictee, which is handed on to compete for
 * the main region.
 */
export class L1RegionBookkeeping {
  private readonly entriesPerPrefix: number[];
  /**
   * lru-cache reports all explicit deletes as 'delete': the tier sets the reason for the one in
   * progress here, and sets it back to 'invalidated' when done.
   */
  deleteReason: EvictionReason = 'invalidated';

  /** `prefixCount`: the registry's prefixes and its catch-all `other`, indexed as they are. */
  constructor(
    prefixCount: number,
    private readonly registry: PrefixRegistry,
    private readonly budgets: PrefixBudgets,
    private readonly observer: CacheObserver,
  ) {
    this.entriesPerPrefix = new Array<number>(prefixCount).fill(0);
  }

  /** A region whose hooks report to this bookkeeping; the window passes where its evictees go. */
  region(max: number, maxSize: number, windowEvictee?: WindowEvictee): LRUCache<string, L1Entry> {
    return new LRUCache<string, L1Entry>({
      max,
      maxSize,
      maxEntrySize: maxSize,
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
      dispose: (entry, key, reason) => this.onDispose(entry, key, reason, windowEvictee),
      onInsert: (entry, key, reason) => this.onInsert(entry, key, reason),
    });
  }

  entries(prefixIndex: number): number {
    return this.entriesPerPrefix[prefixIndex] ?? 0;
  }

  prefixOf(full: string): RegisteredPrefix {
    const name = prefixNameOf(full);
    return (name && this.registry.find(name)) || this.registry.other;
  }

  private onInsert(entry: L1Entry, full: string, reason: 'add' | 'update' | 'replace'): void {
    if (reason === 'update') return; // the same value set again: nothing changed
    const index = this.prefixOf(full).index;
    if (reason === 'add') {
      this.entriesPerPrefix[index]!++;
      this.budgets.added(index, full, entry.size);
    } else {
      this.budgets.resized(index, entry.size);
    }
  }

  private onDispose(
    entry: L1Entry,
    full: string,
    reason: LRUCache.DisposeReason,
    windowEvictee: WindowEvictee | undefined,
  ): void {
    const prefix = this.prefixOf(full);
    if (reason === 'set') {
      // Replaced by a newer value of the same key: not an eviction.
      this.budgets.resized(prefix.index, -entry.size);
      return;
    }
    this.entriesPerPrefix[prefix.index]!--;
    this.budgets.removed(prefix.index, full, entry.size);
    if (windowEvictee !== undefined && reason === 'evict') {
      windowEvictee(full, entry, prefix);
      return;
    }
    const mapped: EvictionReason = reason === 'evict' ? 'size' : reason === 'expire' ? 'expired' : this.deleteReason;
    this.observer.eviction(prefix, 'l1', mapped);
  }
}
