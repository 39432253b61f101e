/**
 * The cache's notion of "now" for freshness, grace, eager refresh and invalidation stamps. A
 * test passes its own clock and moves time by hand, so no test needs to sleep for an entry to
 * go stale. Redis call timeouts, lock waits and loader timeouts stay on real timers: they
 * bound how long a caller waits, which a fake clock cannot shorten.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Wall-clock milliseconds for the L1 hit path, read from the system at most about once a
 * millisecond: Date.now() costs ~35 ns on this project's VMs, as much as the LRU look-up itself.
 * Freshness is decided to within that resolution, as lru-cache's own TTL checks are (ttlResolution).
 * The timer is the one captured at load, so fake timers in a test cannot freeze this clock.
 */
let cachedNow = 0;
const realSetTimeout = globalThis.setTimeout;
const clearCachedNow = (): void => {
  cachedNow = 0;
};
export function coarseNow(): number {
  if (cachedNow === 0) {
    cachedNow = Date.now();
    realSetTimeout(clearCachedNow, 1).unref();
  }
  return cachedNow;
}

/** The hit path's clock: the coarse system clock unless a clock was injected. */
export function fastNow(clock: Clock | undefined): () => number {
  return clock === undefined || clock === systemClock ? coarseNow : () => clock.now();
}
