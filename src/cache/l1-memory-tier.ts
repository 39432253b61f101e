import { LRUCache } from 'lru-cache';
import type { CacheEntry } from './cache-entry.ts';
import { prefixNameOf } from './cache-key.ts';
import type { PrefixRegistry } from './prefix-registry.ts';
import type { CacheObserver, EvictionReason } from './types.ts';

export interface L1Options {
  maxEntries: number;
  maxBytes: number;
}

/**
 * The in-process tier: lru-cache bounded by entry count and by bytes. It reports every
 * eviction with its reason, which lru-cache tells apart except for our own deletes.
 */
export class L1MemoryTier {
  private readonly lru: LRUCache<string, CacheEntry<unknown>>;
  /** lru-cache reports all explicit deletes as 'delete'; this carries the reason for the one in progress. */
  private deleteReason: EvictionReason = 'invalidated';
  private readonly entriesPerPrefix: number[];

  constructor(
    options: L1Options,
    private readonly registry: PrefixRegistry,
    private readonly observer: CacheObserver,
  ) {
    if (!(options.maxEntries > 0) || !(options.maxBytes > 0)) throw new Error('L1 maxEntries and maxBytes must be > 0');
    this.entriesPerPrefix = new Array<number>(registry.labels().length).fill(0);
    this.lru = new LRUCache<string, CacheEntry<unknown>>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      // One oversized entry must not flush a tenth of the cache.
      maxEntrySize: Math.max(1, Math.floor(options.maxBytes / 10)),
      sizeCalculation: (entry) => entry.size,
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
      dispose: (_entry, key, reason) => this.onDispose(key, reason),
      onInsert: (_entry, key, reason) => {
        if (reason === 'add') this.entriesPerPrefix[this.prefixOf(key).index]!++;
      },
    });
  }

  get(full: string): CacheEntry<unknown> | undefined {
    return this.lru.get(full);
  }

  /** Reads without touching recency, for inspection. */
  peek(full: string): CacheEntry<unknown> | undefined {
    return this.lru.peek(full);
  }

  remainingTtl(full: string): number {
    return this.lru.getRemainingTTL(full);
  }

  set(full: string, entry: CacheEntry<unknown>, now: number): void {
    const ttl = entry.staleUntil - now;
    if (ttl <= 0) return;
    this.lru.set(full, entry, { ttl });
  }

  delete(full: string, reason: EvictionReason): boolean {
    this.deleteReason = reason;
    try {
      return this.lru.delete(full);
    } finally {
      this.deleteReason = 'invalidated';
    }
  }

  /** Drops everything, counting each entry as invalidated: used when this instance may have missed invalidations. */
  clear(): void {
    this.deleteReason = 'invalidated';
    this.lru.clear();
  }

  entries(prefixIndex: number): number {
    return this.entriesPerPrefix[prefixIndex] ?? 0;
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  private prefixOf(full: string) {
    const name = prefixNameOf(full);
    return (name && this.registry.find(name)) || this.registry.other;
  }

  private onDispose(full: string, reason: LRUCache.DisposeReason): void {
    if (reason === 'set') return; // replaced by a newer value of the same key: not an eviction
    const prefix = this.prefixOf(full);
    this.entriesPerPrefix[prefix.index]!--;
    const mapped: EvictionReason = reason === 'evict' ? 'size' : reason === 'expire' ? 'expired' : this.deleteReason;
    this.observer.eviction(prefix, 'l1', mapped);
  }
}
