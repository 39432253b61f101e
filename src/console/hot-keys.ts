import type { PrefixRef } from '../cache/types.ts';
import { type HeavyHitter, SpaceSaving } from './space-saving.ts';

/** Lookups counted: 1 in SAMPLE_EVERY (a power of two), so the hot path pays an increment and a branch. */
export const SAMPLE_EVERY = 16;
/** Counters per prefix: a key requested more than 1/64 of a prefix's sampled lookups is sure to be shown. */
export const COUNTERS_PER_PREFIX = 64;

export interface PrefixHotKeys {
  prefix: string;
  /** Estimated lookups since start (sampled counts × SAMPLE_EVERY). */
  sampledLookups: number;
  keys: (HeavyHitter & { estimatedLookups: number })[];
}

/**
 * The most requested keys per prefix, from one Space-Saving sketch per prefix fed with a 1-in-16
 * sample of lookups. Keys stay here, in bounded memory, and are only shown to admins: never a
 * metric label.
 */
export class HotKeys {
  private readonly sketches: SpaceSaving[];
  private tick = 0;

  constructor(private readonly prefixes: readonly PrefixRef[]) {
    this.sketches = prefixes.map(() => new SpaceSaving(COUNTERS_PER_PREFIX));
  }

  /** The observer hook, called once per lookup (CacheObserver.keyLookup). */
  keyLookup(prefix: PrefixRef, key: string): void {
    this.tick = (this.tick + 1) & (SAMPLE_EVERY - 1);
    if (this.tick === 0) this.sketches[prefix.index]?.offer(key);
  }

  top(limit: number): PrefixHotKeys[] {
    return this.prefixes.map((p) => {
      const sketch = this.sketches[p.index]!;
      return {
        prefix: p.name,
        sampledLookups: sketch.total * SAMPLE_EVERY,
        keys: sketch.top(limit).map((h) => ({ ...h, estimatedLookups: h.count * SAMPLE_EVERY })),
      };
    });
  }
}
