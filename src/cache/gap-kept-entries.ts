import type { CacheEntry } from './cache-entry.ts';
import { stampsAreCurrent } from './tag-versions.ts';

type Entry = CacheEntry<unknown>;

/**
 * The L1 entries a bus gap dropped, kept aside as the last resort of a read nothing else can
 * answer: its loader failed (the database is down), L1 holds nothing within grace, and L2 could
 * not be read, twice. A gap drops L1 because an invalidation may have passed unheard, so these
 * entries are not trusted for anything else: never a hit, never a fallback while L2 answers (an
 * L2 miss may be the delete the gap hid). What can be known against them still counts: an
 * invalidation heard after the gap drops the key (forget) or outdates its tags, a successful tag
 * sync moves the versions a gap may have hidden, and any newer value of the key that reaches
 * this instance takes the kept one's place (supersede). At worst, with both the database and L2 failing,
 * a read gets a value within its grace that a write lost in the gap had replaced, instead of an
 * error; that is the fail-safe's own trade (an old answer beats none), widened to the one case
 * where the error would come only from the bus having stalled (bentocache's fail-safe likewise
 * serves the last value it holds). Bounded in entries and bytes, most recently used first.
 */
export class GapKeptEntries {
  private byKey = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /**
   * What L1 held when a gap dropped it (most recently used first) replaces what an earlier gap
   * left: the entries L1 held are the newer ones, the earlier ones fill the room that is left.
   */
  keep(dropped: Iterable<[string, Entry]>, now: number): void {
    const earlier = this.byKey;
    this.byKey = new Map();
    this.bytes = 0;
    for (const [full, entry] of dropped) this.add(full, entry, now);
    for (const [full, entry] of earlier) if (!this.byKey.has(full)) this.add(full, entry, now);
  }

  /** The kept entry of a key if it is still within grace and no tag it carries has moved since it was loaded. */
  usable(full: string, now: number): Entry | undefined {
    const entry = this.byKey.get(full);
    if (entry === undefined) return undefined;
    if (now < entry.staleUntil && stampsAreCurrent(entry.tags)) return entry;
    this.remove(full);
    return undefined;
  }

  /** Invalidations heard after the gap: these keys' kept values are known to be replaced. */
  forget(fulls: readonly string[]): void {
    if (this.byKey.size === 0) return;
    for (const full of fulls) this.remove(full);
  }

  /**
   * A newer value of the key reached this instance (from L2 or the loader): it takes the kept
   * one's place, so the old value never stands in for it. Replaced, not just dropped: the newer
   * value may not reach L1 (a lookup that began before a gap may not fill it), and the key
   * would then have no last resort at all.
   */
  supersede(full: string, newer: Entry): void {
    const kept = this.byKey.get(full);
    if (kept === undefined) return;
    if (newer.loadedAt < kept.loadedAt) return;
    this.byKey.set(full, newer);
    this.bytes += newer.size - kept.size;
  }

  private add(full: string, entry: Entry, now: number): void {
    if (now >= entry.staleUntil || this.byKey.size >= this.maxEntries || this.bytes + entry.size > this.maxBytes)
      return;
    this.byKey.set(full, entry);
    this.bytes += entry.size;
  }

  private remove(full: string): void {
    const entry = this.byKey.get(full);
    if (entry === undefined) return;
    this.byKey.delete(full);
    this.bytes -= entry.size;
  }
}
