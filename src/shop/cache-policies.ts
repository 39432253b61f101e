import type { PrefixPolicy } from '../cache/prefix-registry.ts';

/**
 * The shop's cache prefixes and why each lives as long as it does. Writes invalidate what they
 * change, so these times bound staleness only where no event exists (best sellers) and
 * otherwise just keep memory from holding cold keys forever.
 */
export function shopCachePolicies(ttlScale = 1): PrefixPolicy[] {
  const s = (ms: number) => Math.max(1, Math.round(ms * ttlScale));
  // L1 admission is W-TinyLFU for every prefix (the default): a key enters L1's main region only
  // if it is asked for more often than what it would push out. Byte shares cap the prefixes whose
  // key space is open-ended (any filter, any query), so they cannot crowd out products.
  // Loader timeouts (not scaled: they bound a caller's wait, not an entry's life). Soft: past it a
  // stale value within grace answers while the load finishes. Hard: past it the fail-safe value
  // or a 503. SQLite reads take well under 10 ms; the lock wait (1 s) is what these cut short.
  const timeouts = { softTimeoutMs: 250, hardTimeoutMs: 2_000 };
  return [
    // Product pages are the hottest reads; every change to a product invalidates its key.
    {
      name: 'product',
      freshMs: s(300_000),
      graceMs: s(600_000),
      jitter: 0.1,
      l1: true,
      staleWhileRevalidate: true,
      ...timeouts,
    },
    // Category list and pages: change only through admin, which invalidates them.
    {
      name: 'category',
      freshMs: s(600_000),
      graceMs: s(3_600_000),
      jitter: 0.1,
      l1: true,
      staleWhileRevalidate: true,
      l1ByteShare: 0.1,
      ...timeouts,
    },
    // Catalogue pages: invalidated by tag on any change to a product they may list.
    // Every filter, sort and page combination is a key: at most 40% of L1.
    {
      name: 'catalog',
      freshMs: s(120_000),
      graceMs: s(600_000),
      jitter: 0.2,
      l1: true,
      staleWhileRevalidate: true,
      l1ByteShare: 0.4,
      ...timeouts,
    },
    // Searches: many distinct keys, each rarely repeated. TinyLFU keeps one-off queries out of L1's
    // main region; the 20% share bounds them even if admission is switched to plain LRU.
    {
      name: 'search',
      freshMs: s(60_000),
      graceMs: s(300_000),
      jitter: 0.2,
      l1: true,
      staleWhileRevalidate: true,
      l1ByteShare: 0.2,
      ...timeouts,
    },
    // Best sellers: an aggregate over all orders, not invalidated per order (it would never stay cached
    // under order traffic); its ranking is at most this old, while the products in it are always current.
    {
      name: 'popular',
      freshMs: s(30_000),
      graceMs: s(600_000),
      jitter: 0.1,
      l1: true,
      staleWhileRevalidate: true,
      l1ByteShare: 0.05,
      ...timeouts,
    },
  ];
}
