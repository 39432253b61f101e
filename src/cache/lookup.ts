import type { CacheEntry } from './cache-entry.ts';
import type { AnswerSource, LoaderTimeoutKind } from './types.ts';

/** What one lookup found, enough for the caller to answer and to write a Cache-Status header. */
export interface Lookup<T> {
  readonly value: T;
  readonly source: AnswerSource;
  /** Served past its fresh time (stale-while-revalidate or fail-safe). */
  readonly stale: boolean;
  /** Milliseconds of freshness left; negative when stale. */
  readonly ttlMs: number;
  /** What L2 did: consulted and hit or missed, or not consulted (unavailable, not needed). */
  readonly l2: 'hit' | 'miss' | 'stale' | 'unavailable' | 'skipped';
  readonly storedL1: boolean;
  readonly storedL2: boolean;
  /** Set when a loader timeout decided the answer (the stale value stood in, or the load went on in the background). */
  readonly timeout?: LoaderTimeoutKind;
}

export interface LoadOptions {
  /** Group tags for invalidation (e.g. `catalog:category:roses`); the first segment names the prefix they are counted under. */
  tags?: readonly string[];
}

/** A stale entry standing in for a fresh one (stale-while-revalidate, fail-safe or a timeout). */
export interface Fallback<T> {
  readonly entry: CacheEntry<T>;
  readonly source: 'l1' | 'l2';
}

export function hitLookup<T>(entry: CacheEntry<T>, source: 'l1' | 'l2', now: number, storedL1: boolean): Lookup<T> {
  return {
    value: entry.value,
    source,
    stale: false,
    ttlMs: entry.freshUntil - now,
    l2: source === 'l1' ? 'skipped' : 'hit',
    storedL1,
    storedL2: false,
  };
}

export function staleLookup<T>(
  fallback: Fallback<T>,
  now: number,
  l2: Lookup<T>['l2'],
  timeout?: LoaderTimeoutKind,
): Lookup<T> {
  return {
    value: fallback.entry.value,
    source: fallback.source,
    stale: true,
    ttlMs: fallback.entry.freshUntil - now,
    l2,
    storedL1: false,
    storedL2: false,
    ...(timeout ? { timeout } : {}),
  };
}
