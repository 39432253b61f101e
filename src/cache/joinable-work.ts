import type { TagState } from './tag-versions.ts';

/**
 * Work in flight per key (a lookup, a load) that later callers of the same key join, kept with
 * the tags it was started under. An invalidation unjoins exactly the work it may have made stale:
 * the keys it names, and the work carrying one of its tags (a prefix is a tag, and the global tag
 * is on everything). Work it does not cover stays joinable, so a write to one category does not
 * send every concurrent reader of other keys to the database.
 */
export class JoinableWork<V> {
  private readonly byKey = new Map<string, { work: V; tags: readonly TagState[] }>();

  get size(): number {
    return this.byKey.size;
  }

  get(full: string): V | undefined {
    return this.byKey.get(full)?.work;
  }

  has(full: string): boolean {
    return this.byKey.has(full);
  }

  set(full: string, work: V, tags: readonly TagState[]): void {
    this.byKey.set(full, { work, tags });
  }

  /** Ends the key's registration if it is still this work (an invalidation may have replaced it). */
  release(full: string, work: V): void {
    if (this.byKey.get(full)?.work === work) this.byKey.delete(full);
  }

  /** Work that began before an invalidation may finish and answer its callers, but nobody joins it any more. */
  forget(fulls: readonly string[], tagNames: readonly string[]): void {
    for (const full of fulls) this.byKey.delete(full);
    if (tagNames.length === 0) return;
    const names = new Set(tagNames);
    for (const [full, { tags }] of this.byKey) if (tags.some((t) => names.has(t.name))) this.byKey.delete(full);
  }
}
