import type { Lookup } from '../cache/two-tier-cache.ts';

/**
 * RFC 9211 Cache-Status: one member per tier, the one nearest the origin (L2) first. A hit
 * carries its remaining freshness as ttl (negative when served stale).
 */
export function cacheStatus(lookup: Lookup<unknown>): string {
  // Floor, not trunc: an entry half a second stale must say ttl=-1, not 0.
  const ttl = Math.floor(lookup.ttlMs / 1000);
  const staleDetail = lookup.timeout ? `; detail=${lookup.timeout}-timeout` : lookup.stale ? '; detail=stale' : '';
  if (lookup.source === 'l1') return `shop-l1; hit; ttl=${ttl}${staleDetail}`;
  const l1 = `shop-l1; fwd=miss${lookup.storedL1 ? '; stored' : ''}`;
  if (lookup.source === 'l2') return `shop-l2; hit; ttl=${ttl}${staleDetail}, ${l1}`;
  const l2 =
    lookup.l2 === 'unavailable'
      ? 'shop-l2; fwd=miss; detail=unavailable'
      : lookup.l2 === 'skipped'
        ? 'shop-l2; fwd=bypass'
        : `shop-l2; fwd=miss${lookup.storedL2 ? '; stored' : ''}`;
  return `${l2}, ${l1}`;
}
