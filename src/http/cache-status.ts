import type { Lookup } from '../cache/two-tier-cache.ts';

/**
 * RFC 9211 Cache-Status: one member per tier, the one nearest the origin (L2) first. A hit
 * carries its remaining freshness as ttl (negative when served stale).
 */
export function cacheStatus(lookup: Lookup<unknown>): string {
  // Floor, not trunc: an entry half a second stale must say ttl=-1, not 0.
  const ttl = Math.floor(lookup.ttlMs / 1000);
  const staleDetail = lookup.timeout ? `; detail=${lookup.timeout}-timeout` : lookup.stale ? '; detail=stale' : '';
  if (lookup.source === 'l1') {
    if (staleDetail === '' && ttl >= 0 && ttl < L1_FRESH_HITS.length) {
      let member = L1_FRESH_HITS[ttl];
      if (member === undefined) {
        member = `shop-l1; hit; ttl=${ttl}`;
        L1_FRESH_HITS[ttl] = member;
      }
      return member;
    }
    return `shop-l1; hit; ttl=${ttl}${staleDetail}`;
  }
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

/**
 * The member of a fresh L1 hit per whole second of ttl, built once: the commonest answer's
 * Cache-Status is then one flat string, not a concatenation per request.
 */
const L1_FRESH_HITS: (string | undefined)[] = new Array(3_600);
