import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptEntryError, deserializeEntry, serializeEntry } from '../src/cache/cache-entry.ts';
import { buildKey, encodePart, MAX_ENCODED_ID_LENGTH, prefixNameOf, RedisKeyspace } from '../src/cache/cache-key.ts';
import { PendingInvalidations } from '../src/cache/pending-invalidations.ts';
import { PrefixRegistry } from '../src/cache/prefix-registry.ts';
import { RecentInvalidations } from '../src/cache/recent-invalidations.ts';
import { stampsAreCurrent, TagVersions, TooManyTagsError } from '../src/cache/tag-versions.ts';
import { cacheStatus } from '../src/http/cache-status.ts';
import { etagMatches } from '../src/http/cached-response.ts';
import { toFtsQuery } from '../src/shop/sqlite-product-search.ts';

const registry = new PrefixRegistry([
  { name: 'product', freshMs: 1000, graceMs: 0, jitter: 0, l1: true, staleWhileRevalidate: false },
  { name: 'search', freshMs: 1000, graceMs: 0, jitter: 0, l1: true, staleWhileRevalidate: false },
]);

describe('keys', () => {
  it('encodes separators and hash-tag braces out of client text', () => {
    const key = buildKey(registry.get('search'), ['a:b', '{x}', '#1']);
    expect(key.full).toBe('search:a%3Ab:%7Bx%7D:%231');
    expect(new RedisKeyspace('shop').value(key.full)).toBe('shop:{search:a%3Ab:%7Bx%7D:%231}');
    expect(prefixNameOf('shop:{search:a%3Ab}')).toBe('search');
  });

  it('encodes each part exactly as encodeURIComponent does, fast path or not', () => {
    const part = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.integer(), fc.double(), fc.boolean());
    fc.assert(
      fc.property(part, (p) => encodePart(p) === encodeURIComponent(String(p))),
      { numRuns: 5_000 },
    );
    expect(encodePart(42)).toBe('42');
    expect(encodePart(-7)).toBe('-7');
    expect(encodePart(1e21)).toBe('1e%2B21');
    expect(encodePart('roses_and-more')).toBe('roses_and-more');
    expect(encodePart('é:{}')).toBe('%C3%A9%3A%7B%7D');
  });

  it('bounds key length with a digest that cannot collide with a plain id', () => {
    const long = buildKey(registry.get('search'), ['x'.repeat(10_000)]);
    expect(long.full.length).toBeLessThanOrEqual('search:'.length + MAX_ENCODED_ID_LENGTH);
    expect(long.full.startsWith('search:#')).toBe(true);
    expect(buildKey(registry.get('search'), ['x'.repeat(10_000)]).full).toBe(long.full);
    expect(buildKey(registry.get('search'), ['x'.repeat(10_001)]).full).not.toBe(long.full);
  });

  it('maps Redis keys back to full keys only for values, not versions or locks', () => {
    const ks = new RedisKeyspace('shop');
    expect(ks.fullKeyOf(ks.value('product:1'))).toBe('product:1');
    expect(ks.fullKeyOf(ks.version('product:1'))).toBeUndefined();
    expect(ks.fullKeyOf(ks.lock('product:1'))).toBeUndefined();
  });

  it('gives every unregistered name the single label other', () => {
    expect(registry.labels().map((p) => p.name)).toEqual(['product', 'search', 'other']);
    expect(() => registry.get('nope')).toThrow(/not registered/);
  });
});

describe('tag versions and invalidation marks', () => {
  it('makes an entry stale once any of its tags moves past the stamped version', () => {
    const tags = new TagVersions(10);
    const stamps = tags.stamp([tags.state('catalog:all'), tags.state('*')]);
    expect(stampsAreCurrent(stamps)).toBe(true);
    expect(tags.advance('catalog:all', 3)).toBe(true);
    expect(stampsAreCurrent(stamps)).toBe(false);
    expect(tags.advance('catalog:all', 2)).toBe(false); // versions never go back
  });

  it('caps the number of tags', () => {
    const tags = new TagVersions(2);
    tags.state('a:1');
    tags.state('a:2');
    expect(() => tags.state('a:3')).toThrow(TooManyTagsError);
  });

  it('refuses L1 fills for lookups older than an invalidation, even after forgetting old marks', () => {
    const r = new RecentInvalidations(2);
    const before = r.now();
    r.mark('k1');
    expect(r.invalidatedSince('k1', before)).toBe(true);
    expect(r.invalidatedSince('k2', before)).toBe(false);
    const after = r.now();
    expect(r.invalidatedSince('k1', after)).toBe(false);
    r.mark('k2');
    r.mark('k3'); // k1's mark is forgotten: lookups from before it are refused wholesale
    expect(r.invalidatedSince('k9', before)).toBe(true);
    r.markAll();
    expect(r.invalidatedSince('k9', after)).toBe(true);
    expect(r.invalidatedSince('k9', r.now())).toBe(false);
  });
});

describe('invalidations waiting for Redis', () => {
  it('keeps them until taken, and past its bound stands the global tag for what it forgot', () => {
    const p = new PendingInvalidations(2);
    expect(p.take()).toBeUndefined();
    p.add(['product:1', 'product:1'], ['catalog:all']);
    expect(p.take()).toEqual({ keys: ['product:1'], tags: ['catalog:all'] });
    expect(p.size).toBe(0);
    p.add(['product:1', 'product:2', 'product:3'], []);
    expect(p.take()).toEqual({ keys: ['product:1', 'product:2'], tags: ['*'] });
  });
});

describe('entries on the wire', () => {
  it('round-trips value, freshness and tag stamps', () => {
    const tags = new TagVersions(10);
    tags.advance('t:1', 4);
    const raw = serializeEntry({ a: 1 }, 5, 10, 20, tags.stamp([tags.state('t:1')]));
    const entry = deserializeEntry<{ a: number }>(raw, tags);
    expect(entry.value).toEqual({ a: 1 });
    expect(entry.loadedAt).toBe(5);
    expect(entry.freshUntil).toBe(10);
    expect(entry.tags[0]!.version).toBe(4);
    expect(() => deserializeEntry('{"v":1}', tags)).toThrow(CorruptEntryError);
    expect(() => deserializeEntry('not json', tags)).toThrow(CorruptEntryError);
  });
});

describe('HTTP cache headers', () => {
  const base = { value: null, stale: false, ttlMs: 30_500, storedL1: false, storedL2: false } as const;
  it('writes RFC 9211 Cache-Status with the tier nearest the origin first', () => {
    expect(cacheStatus({ ...base, source: 'l1', l2: 'skipped' })).toBe('shop-l1; hit; ttl=30');
    expect(cacheStatus({ ...base, source: 'l2', l2: 'hit', storedL1: true })).toBe(
      'shop-l2; hit; ttl=30, shop-l1; fwd=miss; stored',
    );
    expect(cacheStatus({ ...base, source: 'origin', l2: 'miss', storedL1: true, storedL2: true })).toBe(
      'shop-l2; fwd=miss; stored, shop-l1; fwd=miss; stored',
    );
    expect(cacheStatus({ ...base, source: 'origin', l2: 'unavailable', storedL1: true })).toBe(
      'shop-l2; fwd=miss; detail=unavailable, shop-l1; fwd=miss; stored',
    );
    expect(cacheStatus({ ...base, source: 'l1', l2: 'skipped', stale: true, ttlMs: -2_000 })).toBe(
      'shop-l1; hit; ttl=-2; detail=stale',
    );
  });

  it('matches If-None-Match weakly, in lists and with *', () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('W/"abc"', '"abc"')).toBe(true);
    expect(etagMatches('"x", "abc"', '"abc"')).toBe(true);
    expect(etagMatches('*', '"abc"')).toBe(true);
    expect(etagMatches('"abd"', '"abc"')).toBe(false);
    expect(etagMatches(undefined, '"abc"')).toBe(false);
  });
});

describe('search text', () => {
  it('turns any text into quoted prefix terms, so nothing reaches FTS5 as syntax', () => {
    expect(toFtsQuery('Red roses')).toBe('"Red"* "roses"*');
    expect(toFtsQuery('" OR 1=1 --')).toBe('"OR"* "1"* "1"*');
    expect(toFtsQuery('NEAR(a b) *')).toBe('"NEAR"* "a"* "b"*');
    expect(toFtsQuery('!!! ---')).toBeUndefined();
  });
});
