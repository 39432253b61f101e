import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CacheObserver, noopObserver } from '../src/cache/types.ts';
import { startTestCache } from './harness/cache.ts';

type Runtime = Awaited<ReturnType<typeof startTestCache>>;

/**
 * L2 reads go straight to the connection of the slot's master as ioredis's slot table names it
 * (src/cache/slot-owners.ts). When that table is wrong (a slot moved and ioredis has not heard),
 * the node answers MOVED: the read must then go the cluster's way and still be a hit, never an
 * L2 error and a load.
 */
describe('L2 reads at the slot owner', () => {
  let cache: Runtime;
  // Read errors only: the bus's heartbeats are not what these tests are about (a PUBLISH to a node
  // still connecting at start-up was once counted here in a loaded CI run).
  const l2Errors: string[] = [];
  const observer: CacheObserver = {
    ...noopObserver,
    l2Error(op, kind) {
      if (op === 'get') l2Errors.push(`${op}:${kind}`);
    },
  };

  beforeAll(async () => {
    cache = await startTestCache({ observer, timeoutMs: 2_000 });
  });

  afterAll(async () => {
    await cache?.close();
  });

  it('a warm key read through a stale slot table is an L2 hit, and ioredis learns the true owner', async () => {
    l2Errors.length = 0;
    const cluster = cache.redis!;
    const l2 = cache.l2!;
    const key = cache.cache.key('gamma', 'slot-owner', 1);
    let loads = 0;
    const loader = async () => {
      loads++;
      return { name: 'tulip' };
    };
    await cache.cache.get(key, loader);
    expect(loads).toBe(1);

    const first = await cache.cache.get(key, loader);
    expect(first).toMatchObject({ value: { name: 'tulip' }, l2: 'hit' });

    const slot = calculateSlot(l2.keys.value(key.full));
    const owner = cluster.slots[slot]![0]!;
    const masters = cluster.nodes('master').map((n) => `${n.options.host}:${n.options.port}`);
    const wrong = masters.find((m) => m !== owner)!;
    expect(wrong).toBeDefined();
    // What ioredis would hold had the slot moved away since its last refresh.
    cluster.slots[slot] = [wrong];

    const second = await cache.cache.get(key, loader);
    expect(second).toMatchObject({ value: { name: 'tulip' }, l2: 'hit' });
    expect(loads).toBe(1);
    expect(l2Errors).toEqual([]);
    // The cluster path followed MOVED and put the true owner back in the table.
    expect(cluster.slots[slot]![0]).toBe(owner);

    const third = await cache.cache.get(key, loader);
    expect(third).toMatchObject({ l2: 'hit' });
    expect(loads).toBe(1);
  });

  it('a batch read (getMany) through a stale slot table answers from L2, with no load and no L2 error', async () => {
    l2Errors.length = 0;
    const cluster = cache.redis!;
    const keys = Array.from({ length: 30 }, (_, i) => cache.cache.key('gamma', 'batch', i));
    let loaded = 0;
    const loadMissing = async (missing: readonly (typeof keys)[number][]) => {
      loaded += missing.length;
      return new Map(missing.map((k) => [k.full, `value of ${k.full}`]));
    };
    await cache.cache.getMany(keys, loadMissing);
    expect(loaded).toBe(30);

    const slot = calculateSlot(cache.l2!.keys.value(keys[0]!.full));
    const owner = cluster.slots[slot]![0]!;
    const wrong = cluster
      .nodes('master')
      .map((n) => `${n.options.host}:${n.options.port}`)
      .find((m) => m !== owner)!;
    cluster.slots[slot] = [wrong];

    const again = await cache.cache.getMany(keys, loadMissing);
    expect(loaded).toBe(30);
    expect(again.get(keys[0]!.full)).toBe(`value of ${keys[0]!.full}`);
    expect(again.size).toBe(30);
    expect(l2Errors).toEqual([]);
    expect(cluster.slots[slot]![0]).toBe(owner);
  });

  it('many keys across every master read back as hits with no L2 error', async () => {
    l2Errors.length = 0;
    const keys = Array.from({ length: 200 }, (_, i) => cache.cache.key('gamma', 'spread', i));
    let loads = 0;
    const loader = async () => {
      loads++;
      return 'rose';
    };
    await Promise.all(keys.map((k) => cache.cache.get(k, loader)));
    expect(loads).toBe(200);
    const reads = await Promise.all(keys.map((k) => cache.cache.get(k, loader)));
    expect(reads.every((r) => r.l2 === 'hit' && r.value === 'rose')).toBe(true);
    expect(loads).toBe(200);
    const owners = new Set(keys.map((k) => cache.redis!.slots[calculateSlot(cache.l2!.keys.value(k.full))]![0]));
    expect(owners.size).toBe(3);
    expect(l2Errors).toEqual([]);
  });
});
