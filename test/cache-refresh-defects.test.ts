import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrefixPolicy } from '../src/cache/prefix-registry.ts';
import { startTestCache } from './harness/cache.ts';
import { waitFor } from './harness/service.ts';

type Runtime = Awaited<ReturnType<typeof startTestCache>>;

/**
 * The two read-path defects of issue 10, driven through the cache API on the real cluster. The
 * load lock is held the way another instance holds it (a key in Redis), which keeps the
 * background refresh in flight for as long as the test needs, without timing luck.
 */
const POLICIES: PrefixPolicy[] = [
  { name: 'swr', freshMs: 100, graceMs: 30_000, jitter: 0, l1: true, staleWhileRevalidate: true },
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('background refresh', () => {
  let c: Runtime;
  beforeAll(async () => {
    c = await startTestCache({ policies: POLICIES, lockWaitMs: 400 });
  });
  afterAll(async () => c?.close());

  it('a read that joins a background refresh after L1 dropped the entry gets a value, not undefined', async () => {
    const key = c.cache.key('swr', 'joined');
    let loads = 0;
    const loader = async () => `v${++loads}`;
    expect((await c.cache.get(key, loader)).value).toBe('v1');
    await sleep(150); // past fresh, well within grace
    // Another instance holds the load lock: our refresh waits for its value (up to lockWaitMs).
    await c.redis!.set(c.l2!.keys.lock(key.full), 'another-instance', 'PX', 5_000);
    const stale = await c.cache.get(key, loader);
    expect(stale).toMatchObject({ value: 'v1', stale: true });
    // L1 drops the entry while the refresh runs (size eviction here; expiry or a bus gap do the same).
    c.l1.delete(key.full, 'size');
    const joined = await c.cache.get(key, loader);
    expect(joined).toBeDefined();
    expect(['v1', 'v2']).toContain(joined.value);
    expect(loads).toBeLessThanOrEqual(2);
  });

  it('a stale entry found in L2 (L1 missed) is refreshed in the background', async () => {
    const key = c.cache.key('swr', 'l2-stale');
    let loads = 0;
    const loader = async () => `v${++loads}`;
    expect((await c.cache.get(key, loader)).value).toBe('v1');
    await sleep(150);
    c.l1.delete(key.full, 'size');
    const stale = await c.cache.get(key, loader);
    expect(stale).toMatchObject({ value: 'v1', stale: true, source: 'l2' });
    // Bounded wait for the background load (grace is 30 s, so only a refresh can end the staleness).
    await waitFor(() => loads === 2, 3_000, 'the background refresh of an L2-stale entry');
    await waitFor(
      async () => {
        const next = await c.cache.get(key, loader);
        return next.value === 'v2' && !next.stale;
      },
      3_000,
      'a fresh answer after the refresh',
    );
    expect(loads).toBe(2);
  });
});
