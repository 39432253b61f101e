/**
 * Ids of the bus messages already applied, so a message heard through two subscriptions (or
 * published twice: once through a node that timed out but took it after all, once through the
 * next) is applied once. Bounded: the oldest ids are forgotten first; a duplicate that arrives
 * after that only drops L1 entries again, which costs a reload and nothing else.
 */
export class RecentMessageIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** True the first time an id is seen. */
  firstSighting(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
    return true;
  }
}
