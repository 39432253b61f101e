import { expect, test } from 'vitest';
import type { Lookup } from '../src/cache/two-tier-cache.ts';
import { cacheStatus } from '../src/http/cache-status.ts';

/** A loader timeout that decided an answer shows in Cache-Status, whichever tier the stale value came from. */
const base: Lookup<unknown> = {
  value: 1,
  source: 'l1',
  stale: true,
  ttlMs: -12_400,
  l2: 'skipped',
  storedL1: false,
  storedL2: false,
};

test('a stale value served past the soft timeout says so, from L1 and from L2', () => {
  expect(cacheStatus({ ...base, timeout: 'soft' })).toBe('shop-l1; hit; ttl=-13; detail=soft-timeout');
  expect(cacheStatus({ ...base, source: 'l2', l2: 'stale', timeout: 'soft' })).toBe(
    'shop-l2; hit; ttl=-13; detail=soft-timeout, shop-l1; fwd=miss',
  );
});

test('the fail-safe value served past the hard timeout says so; a plain stale answer says stale', () => {
  expect(cacheStatus({ ...base, timeout: 'hard' })).toBe('shop-l1; hit; ttl=-13; detail=hard-timeout');
  expect(cacheStatus(base)).toBe('shop-l1; hit; ttl=-13; detail=stale');
});
