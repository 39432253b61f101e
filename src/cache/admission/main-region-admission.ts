import type { LRUCache } from 'lru-cache';
import type { CacheEntry } from '../cache-entry.ts';
import type { Clock } from '../clock.ts';
import type { RegisteredPrefix } from '../prefix-registry.ts';
import type { CacheObserver } from '../types.ts';
import type { TinyLfuAdmission } from './tiny-lfu.ts';

/** A candidate that would displace more entries than this is not admitted (bounds the work of one admission). */
const MAX_VICTIMS_COMPARED = 64;

/** The main region's bounds, which a candidate must fit within once its victims are gone. */
export interface MainRegionBounds {
  maxBytes: number;
  maxEntries: number;
}

/**
 * The contest at the door of L1's main region: what the admission window pushes out is let in
 * or dropped here, and the decision (and the eviction of a loser) reported to the observer.
 */
export class MainRegionAdmission<E extends CacheEntry<unknown>> {
  constructor(
    private readonly main: LRUCache<string, E>,
    private readonly bounds: MainRegionBounds,
    private readonly frequency: TinyLfuAdmission | undefined,
    private readonly clock: Clock,
    private readonly observer: CacheObserver,
  ) {}

  /**
   * A window evictee asks for a place in the main region. It gets one without a contest when
   * there is room; otherwise it must beat the main region's LRU entry on estimated frequency.
   */
  offer(full: string, entry: E, prefix: RegisteredPrefix): void {
    const ttl = entry.staleUntil - this.clock.now();
    if (ttl <= 0) {
      this.observer.eviction(prefix, 'l1', 'expired');
      return;
    }
    if (!this.winsAgainstVictims(full, entry.size)) {
      this.observer.admission(prefix, 'rejected');
      this.observer.eviction(prefix, 'l1', 'size');
      return;
    }
    this.observer.admission(prefix, 'admitted');
    this.main.set(full, entry, { ttl, size: entry.size });
  }

  /**
   * A candidate may need the place of several entries (a 12 kB page displaces a dozen products):
   * it must beat every one it would push out, least recent first, not only the first.
   */
  private winsAgainstVictims(full: string, bytes: number): boolean {
    let bytesShort = this.main.calculatedSize + bytes - this.bounds.maxBytes;
    let entriesShort = this.main.size + 1 - this.bounds.maxEntries;
    if (bytesShort <= 0 && entriesShort <= 0) return true;
    if (!this.frequency) return true;
    let compared = 0;
    for (const victim of this.main.rkeys()) {
      if (compared++ >= MAX_VICTIMS_COMPARED || !this.frequency.admit(full, victim)) return false;
      bytesShort -= this.main.peek(victim, { allowStale: true })?.size ?? 0;
      entriesShort--;
      if (bytesShort <= 0 && entriesShort <= 0) return true;
    }
    return true;
  }
}
