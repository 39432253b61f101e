/**
 * Guards against the read-during-write race: a lookup notes a sequence number when it starts,
 * and may fill L1 only if its key was not invalidated since. Bounded; when an old mark has to
 * be forgotten, every lookup that started before it is refused instead (safe, slightly slower).
 */
export class RecentInvalidations {
  private seq = 0;
  private floor = 0;
  private readonly marks = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  /** The current sequence number; a lookup keeps it as its start mark. */
  now(): number {
    return this.seq;
  }

  mark(full: string): void {
    const seq = ++this.seq;
    this.marks.delete(full);
    this.marks.set(full, seq);
    if (this.marks.size > this.capacity) {
      const oldest = this.marks.entries().next().value;
      if (oldest) {
        this.marks.delete(oldest[0]);
        this.floor = oldest[1];
      }
    }
  }

  /** Every key at once (tags, a gap in the bus): lookups already running may not fill L1. */
  markAll(): void {
    this.floor = ++this.seq;
    this.marks.clear();
  }

  invalidatedSince(full: string, startSeq: number): boolean {
    if (startSeq < this.floor) return true;
    const at = this.marks.get(full);
    return at !== undefined && at > startSeq;
  }
}
