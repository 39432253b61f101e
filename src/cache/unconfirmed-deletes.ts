/**
 * Keys whose L2 delete could not be confirmed (the master of their slot was paused or down when
 * a write invalidated them). Until a later invalidation of the key goes through, an L2 entry
 * loaded before the write must not be served, whichever instance reads it: the writer keeps
 * the mark, and every other instance learns it from the bus message. Bounded: when a mark must
 * be forgotten, every entry loaded before it is refused instead (safe, costs misses).
 */
export class UnconfirmedDeletes {
  private readonly marks = new Map<string, number>();
  private floor = Number.NEGATIVE_INFINITY;

  constructor(private readonly capacity: number) {}

  /** `at`: when the invalidation was sent, on the cache's clock; entries loaded up to then are old. */
  mark(full: string, at: number): void {
    const previous = this.marks.get(full);
    this.marks.delete(full);
    this.marks.set(full, Math.max(at, previous ?? at));
    if (this.marks.size > this.capacity) {
      const oldest = this.marks.entries().next().value;
      if (oldest) {
        this.marks.delete(oldest[0]);
        this.floor = Math.max(this.floor, oldest[1]);
      }
    }
  }

  /** The delete went through (a replay, or a later write): the L2 entry is gone, nothing to guard. */
  confirm(full: string): void {
    this.marks.delete(full);
  }

  /** Whether an L2 entry of this key, loaded at `loadedAt`, predates an invalidation that did not reach L2. */
  outdated(full: string, loadedAt: number): boolean {
    if (loadedAt <= this.floor) return true;
    if (this.marks.size === 0) return false;
    const at = this.marks.get(full);
    return at !== undefined && loadedAt <= at;
  }

  get size(): number {
    return this.marks.size;
  }
}
