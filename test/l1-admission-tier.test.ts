import fc from 'fast-check';
import { LRUCache } from 'lru-cache';
import { describe, expect, it } from 'vitest';
import type { CacheEntry } from '../src/cache/cache-entry.ts';
import { L1MemoryTier, type L1Options } from '../src/cache/l1-memory-tier.ts';
import { retainedEntryBytes } from '../src/cache/l1-retained-size.ts';
import { type PrefixPolicy, PrefixRegistry } from '../src/cache/prefix-registry.ts';
import { type AdmissionResult, type EvictionReason, noopObserver, type PrefixRef } from '../src/cache/types.ts';

const POLICIES: PrefixPolicy[] = [
  { name: 'hot', freshMs: 60_000, graceMs: 0, jitter: 0, l1: true, staleWhileRevalidate: false },
  { name: 'scan', freshMs: 60_000, graceMs: 0, jitter: 0, l1: true, staleWhileRevalidate: false, l1ByteShare: 0.2 },
  {
    name: 'plain',
    freshMs: 60_000,
    graceMs: 0,
    jitter: 0,
    l1: true,
    staleWhileRevalidate: false,
    admission: 'lru',
    l1ByteShare: 0.5,
  },
];

function entry(text: string): CacheEntry<unknown> {
  const now = Date.now();
  return {
    value: { json: text, etag: '"e"' },
    freshUntil: now + 60_000,
    staleUntil: now + 60_000,
    loadedAt: now,
    tags: [],
    size: 0,
  };
}

function recorder() {
  const admissions: Record<string, Record<AdmissionResult, number>> = {};
  const evictions: Record<string, Partial<Record<EvictionReason, number>>> = {};
  return {
    admissions,
    evictions,
    observer: {
      ...noopObserver,
      admission(prefix: PrefixRef, result: AdmissionResult) {
        admissions[prefix.name] ??= { admitted: 0, rejected: 0 };
        admissions[prefix.name]![result]++;
      },
      eviction(prefix: PrefixRef, _tier: string, reason: EvictionReason) {
        evictions[prefix.name] ??= {};
        const e = evictions[prefix.name]!;
        e[reason] = (e[reason] ?? 0) + 1;
      },
    },
  };
}

function tier(options: Partial<L1Options> = {}) {
  const registry = new PrefixRegistry(POLICIES);
  const rec = recorder();
  const l1 = new L1MemoryTier(
    { maxEntries: 10_000, maxBytes: 200_000, random: () => 0.5, ...options },
    registry,
    rec.observer,
  );
  return { l1, registry, ...rec };
}

/** Reads a key as the cache does: a lookup, and on a miss a fill. */
function read(l1: L1MemoryTier, key: string, text = 'x'.repeat(200)): boolean {
  if (l1.get(key)) return true;
  l1.set(key, entry(text), Date.now());
  return false;
}

describe('L1 tier with W-TinyLFU admission', () => {
  it('keeps a hot set through a flood of one-off keys; plain LRU loses it', () => {
    const hitRatio = (admission: 'tinylfu' | 'lru') => {
      const { l1 } = tier({ admission, prefixBudgets: false });
      let hits = 0;
      let reads = 0;
      // 50 hot keys (~27 kB) and, between two reads of each, 1,000 one-off keys (~5x what L1 holds).
      for (let round = 0; round < 40; round++) {
        for (let h = 0; h < 50; h++) {
          reads++;
          if (read(l1, `hot:${h}`)) hits++;
        }
        for (let s = 0; s < 1_000; s++) read(l1, `scan:${round}:${s}`);
      }
      return hits / reads;
    };
    const tinyLfu = hitRatio('tinylfu');
    const lru = hitRatio('lru');
    expect(tinyLfu).toBeGreaterThan(0.95);
    expect(lru).toBeLessThan(0.05);
  });

  it('gives a new key a chance: read again while in the window, it wins its place', () => {
    const { l1, admissions } = tier({ prefixBudgets: false });
    for (let i = 0; i < 400; i++) read(l1, `hot:${i}`);
    expect(l1.bytes).toBeGreaterThan(190_000 * 0.9);
    read(l1, 'hot:new');
    for (let i = 0; i < 3; i++) read(l1, 'hot:new');
    for (let i = 0; i < 100; i++) read(l1, `scan:push:${i}`); // pushes hot:new out of the window (10%, ~37 entries)
    expect(l1.peek('hot:new')).toBeDefined();
    expect(admissions.hot?.admitted).toBeGreaterThan(0);
    expect(admissions.scan?.rejected).toBeGreaterThan(0);
  });

  it('counts a rejected candidate as an L1 size eviction of its prefix', () => {
    const { l1, admissions, evictions } = tier({ prefixBudgets: false });
    for (let r = 0; r < 3; r++) for (let i = 0; i < 250; i++) read(l1, `hot:${i}`);
    for (let i = 0; i < 500; i++) read(l1, `scan:${i}`);
    // ~80 fit while the main region still had room, ~37 are still in the window: the rest were rejected.
    expect(admissions.scan?.rejected).toBeGreaterThan(300);
    expect(evictions.scan?.size).toBeGreaterThanOrEqual(admissions.scan?.rejected ?? 0);
    expect(evictions.hot?.size ?? 0).toBe(0);
  });

  it('keeps a prefix within its byte share, dropping its own oldest keys', () => {
    const { l1, registry, evictions } = tier({ admission: 'lru' });
    for (let i = 0; i < 300; i++) read(l1, `hot:${i}`);
    for (let i = 0; i < 300; i++) read(l1, `scan:${i}`);
    const scan = l1.prefixBytes(registry.get('scan').index);
    expect(scan.cap).toBe(40_000);
    expect(scan.bytes).toBeLessThanOrEqual(scan.cap);
    expect(scan.bytes).toBeGreaterThan(scan.cap * 0.9);
    expect(l1.peek('scan:299')).toBeDefined();
    expect(l1.peek('scan:0')).toBeUndefined();
    expect(evictions.scan?.size).toBeGreaterThan(0);
  });

  it('with admission lru and budgets off, holds exactly what a plain lru-cache of the same bounds holds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('get', 'set', 'delete'), fc.integer({ min: 0, max: 60 })), {
          maxLength: 400,
        }),
        (ops) => {
          const { l1 } = tier({ admission: 'lru', prefixBudgets: false, maxBytes: 20_000, maxEntries: 40 });
          const reference = new LRUCache<string, number>({ max: 40, maxSize: 20_000, maxEntrySize: 2_000 });
          for (const [op, k] of ops) {
            const key = `hot:${k}`;
            const text = 'y'.repeat((k % 7) * 50);
            if (op === 'get') expect(l1.get(key) !== undefined).toBe(reference.get(key) !== undefined);
            else if (op === 'delete') expect(l1.delete(key, 'invalidated')).toBe(reference.delete(key));
            else {
              const e = entry(text);
              l1.set(key, e, Date.now());
              reference.set(key, 1, { size: retainedEntryBytes(key, e) });
            }
          }
          expect([...reference.keys()].sort()).toEqual([...reference.keys()].filter((k) => l1.peek(k)).sort());
          expect(l1.size).toBe(reference.size);
          expect(l1.bytes).toBe(reference.calculatedSize);
        },
      ),
    );
  });

  it('model: bounds, budgets and bookkeeping hold after any sequence of operations', () => {
    const prefixes = ['hot', 'scan', 'plain', 'unregistered'];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom('get', 'set', 'delete', 'clear'),
            fc.constantFrom(...prefixes),
            fc.integer({ min: 0, max: 80 }),
            fc.integer({ min: 0, max: 3_000 }),
          ),
          { maxLength: 300 },
        ),
        fc.constantFrom<'tinylfu' | 'lru'>('tinylfu', 'lru'),
        (ops, admission) => {
          const { l1, registry, evictions, admissions } = tier({ admission, maxBytes: 30_000, maxEntries: 60 });
          let stored = 0;
          for (const [op, prefix, k, length] of ops) {
            const key = `${prefix}:${k}`;
            if (op === 'get') l1.get(key);
            else if (op === 'delete') l1.delete(key, 'invalidated');
            else if (op === 'clear') l1.clear();
            else if (l1.set(key, entry('z'.repeat(length)), Date.now())) stored++;
            expect(l1.bytes).toBeLessThanOrEqual(30_000);
            expect(l1.size).toBeLessThanOrEqual(60);
            let bytes = 0;
            let entries = 0;
            for (const p of registry.labels()) {
              const held = l1.prefixBytes(p.index);
              expect(held.bytes).toBeLessThanOrEqual(held.cap);
              bytes += held.bytes;
              entries += l1.entries(p.index);
            }
            expect(bytes).toBe(l1.bytes);
            expect(entries).toBe(l1.size);
          }
          const removed = Object.values(evictions).reduce(
            (n, e) => n + Object.values(e).reduce((a, b) => a + (b ?? 0), 0),
            0,
          );
          const decided = Object.values(admissions).reduce((n, a) => n + a.admitted + a.rejected, 0);
          expect(stored).toBeGreaterThanOrEqual(0);
          // Each key that ever entered is either still held or was reported as removed once.
          expect(removed).toBeLessThanOrEqual(stored + decided);
        },
      ),
    );
  });
});
