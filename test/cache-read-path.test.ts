import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheKey } from '../src/cache/cache-key.ts';
import { noopObserver } from '../src/cache/types.ts';
import { countingLoader, deferred, startTestCache } from './harness/cache.ts';
import { testNamespace, waitFor } from './harness/service.ts';

type Runtime = Awaited<ReturnType<typeof startTestCache>>;

describe('read path: L1, then L2, then the loader', () => {
  const namespace = testNamespace();
  let a: Runtime;
  let b: Runtime;
  beforeAll(async () => {
    // Plain LRU: this file is about the tiers, and an evicted key must be the least recent one.
    [a, b] = await Promise.all([
      startTestCache({ namespace, maxEntries: 3, admission: 'lru' }),
      startTestCache({ namespace }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('serves the second read from L1, and after L1 eviction from L2, loading once', async () => {
    const key = a.cache.key('alpha', 'item', 1);
    const { loader, calls } = countingLoader(() => ({ n: 1 }));
    const first = await a.cache.get(key, loader);
    expect(first.source).toBe('origin');
    expect(first.storedL2).toBe(true);
    expect(first.storedL1).toBe(true);
    const second = await a.cache.get(key, loader);
    expect(second.source).toBe('l1');
    expect(second.value).toEqual({ n: 1 });
    // L1 holds 3 entries: three other keys push this one out.
    for (let i = 2; i <= 4; i++) await a.cache.get(a.cache.key('alpha', 'item', i), async () => ({ n: i }));
    expect(a.l1.peek(key.full)).toBeUndefined();
    const third = await a.cache.get(key, loader);
    expect(third.source).toBe('l2');
    expect(third.l2).toBe('hit');
    expect(third.value).toEqual({ n: 1 });
    expect(calls()).toBe(1);
  });

  it('answers an L1 hit synchronously, without a promise', async () => {
    const key = a.cache.key('alpha', 'sync');
    await a.cache.get(key, async () => 'v');
    const hit = a.cache.get(key, async () => 'other');
    expect(hit).not.toBeInstanceOf(Promise);
  });

  it('runs the loader once for 500 concurrent lookups of one cold key', async () => {
    const key = b.cache.key('alpha', 'stampede', Date.now());
    const { loader, calls } = countingLoader(() => 'cold', 50);
    const results = await Promise.all(Array.from({ length: 500 }, () => b.cache.get(key, loader)));
    expect(calls()).toBe(1);
    expect(results.every((r) => r.value === 'cold')).toBe(true);
  });

  it('lets only one of two instances load a cold key under concurrent load on both', async () => {
    const key = a.cache.key('alpha', 'two-instances', Date.now());
    let loads = 0;
    const loader = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 100));
      return 'shared';
    };
    const onA = Array.from({ length: 250 }, () => a.cache.get(key, loader));
    const onB = Array.from({ length: 250 }, () => b.cache.get(key, loader));
    const results = await Promise.all([...onA, ...onB]);
    expect(loads).toBe(1);
    expect(results.every((r) => r.value === 'shared')).toBe(true);
    // The instance that lost the lock got the winner's value from L2.
    expect(results.some((r) => r.source === 'l2')).toBe(true);
  });

  it('keeps a prefix with L1 off out of L1, and still shares it through L2', async () => {
    const key = a.cache.key('gamma', 'no-l1');
    const { loader, calls } = countingLoader(() => 7);
    await a.cache.get(key, loader);
    expect(a.l1.peek(key.full)).toBeUndefined();
    const again = await b.cache.get(key, loader);
    expect(again.source).toBe('l2');
    expect(calls()).toBe(1);
  });

  it('batches many keys: L1 first, one L2 read for the rest, one loader call for what is still missing', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => a.cache.key('alpha', 'many', i));
    let loaderCalls = 0;
    const loadMissing = async (missing: readonly { full: string }[]) => {
      loaderCalls++;
      return new Map(missing.map((k) => [k.full, `v:${k.full}`]));
    };
    const first = await a.cache.getMany(keys, loadMissing);
    expect(first.size).toBe(30);
    expect(loaderCalls).toBe(1);
    // Another instance finds them all in L2 and never calls its loader.
    const onB = await b.cache.getMany(keys, loadMissing);
    expect(loaderCalls).toBe(1);
    expect([...onB.values()]).toEqual(keys.map((k) => `v:${k.full}`));
  });
});

describe('joining a running lookup across invalidations', () => {
  let c: Runtime;
  let joined = 0;
  beforeAll(async () => {
    c = await startTestCache({ observer: { ...noopObserver, coalesced: () => joined++ } });
  });
  afterAll(async () => c?.close());

  // A held loader, an invalidation, then a second read of the same key: does the second read join
  // the running lookup (counted as coalesced at once), or start its own?
  async function secondReadJoins(invalidate: (key: CacheKey) => Promise<void>): Promise<boolean> {
    const key = c.cache.key('alpha', 'joined', randomUUID());
    const gate = deferred<void>();
    let loads = 0;
    const loader = async () => {
      loads++;
      await gate.promise;
      return 'v';
    };
    const first = c.cache.get(key, loader, { tags: ['joined:a'] });
    await waitFor(() => loads === 1, 5_000, 'the first load to start');
    await invalidate(key);
    const before = joined;
    const second = c.cache.get(key, loader, { tags: ['joined:a'] });
    const didJoin = joined > before;
    gate.resolve();
    await Promise.all([first, second]);
    return didJoin;
  }

  it('stays joinable through a tag or prefix invalidation that does not cover the key', async () => {
    expect(await secondReadJoins(() => c.cache.invalidate({ tags: ['joined:other'] }))).toBe(true);
    expect(await secondReadJoins(() => c.cache.invalidate({ prefixes: ['beta'] }))).toBe(true);
    expect(await secondReadJoins(async () => undefined)).toBe(true);
  });

  it('is not joined after an invalidation covering the key, by key, tag or prefix', async () => {
    expect(await secondReadJoins((key) => c.cache.invalidate({ keys: [key] }))).toBe(false);
    expect(await secondReadJoins(() => c.cache.invalidate({ tags: ['joined:a'] }))).toBe(false);
    expect(await secondReadJoins(() => c.cache.invalidate({ prefixes: ['alpha'] }))).toBe(false);
  });
});
