import { GLOBAL_TAG } from './tag-versions.ts';

/**
 * Invalidations that could not reach Redis, kept until they can. Bounded: past the limit,
 * individual keys and tags are no longer remembered and the whole cache is marked for a global
 * version bump instead, which is coarser but never lets a stale entry survive.
 */
export class PendingInvalidations {
  private readonly keys = new Set<string>();
  private readonly tags = new Set<string>();
  private overflow = false;

  constructor(private readonly limit: number) {}

  add(fulls: readonly string[], tagNames: readonly string[]): void {
    for (const f of fulls) {
      if (this.keys.size >= this.limit) this.overflow = true;
      else this.keys.add(f);
    }
    for (const t of tagNames) {
      if (this.tags.size >= this.limit) this.overflow = true;
      else this.tags.add(t);
    }
  }

  /** Everything pending, emptied; on overflow the global tag stands for what was forgotten. */
  take(): { keys: string[]; tags: string[] } | undefined {
    if (this.size === 0) return undefined;
    const taken = { keys: [...this.keys], tags: [...this.tags, ...(this.overflow ? [GLOBAL_TAG] : [])] };
    this.keys.clear();
    this.tags.clear();
    this.overflow = false;
    return taken;
  }

  get size(): number {
    return this.keys.size + this.tags.size + (this.overflow ? 1 : 0);
  }
}
