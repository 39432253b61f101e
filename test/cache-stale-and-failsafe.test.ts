import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrefixPolicy } from '../src/cache/prefix-registry.ts';
import { deferred, startTestCache } from './harness/cache.ts';
import { ManualClock } from './harness/manual-clock.ts';
import { waitFor } from './harness/service.ts';

type Runtime = Awaited<ReturnType<typeof startTestCache>>;

const SHORT: PrefixPolicy[] = [
  { name: 'swr', freshMs: 150, graceMs: 5_000, jitter: 0, l1: true, staleWhileRevalidate: true },
  { name: 'safe', freshMs: 150, graceMs: 5_000, jitter: 0, l1: true, staleWhileRevalidate: false },
  { name: 'brief', freshMs: 100, graceMs: 100, jitter: 0, l1: true, staleWhileRevalidate: false },
];

// Time moves by hand: an entry is stale or past grace because the clock says so, and a slow
// loader is one the test holds open, so nothing here depends on how fast the machine is.
describe('stale-while-revalidate and fail-safe', () => {
  const clock = new ManualClock();
  let c: Runtime;
  beforeAll(async () => {
    c = await startTestCache({ policies: SHORT, clock });
  });
  afterAll(async () => c?.close());

  it('serves a stale entry at once while exactly one background refresh runs', async () => {
    const key = c.cache.key('swr', 'item');
    let loads = 0;
    const gate = deferred<void>();
    const heldLoader = async () => {
      loads++;
      if (loads > 1) await gate.promise;
      return `v${loads}`;
    };
    expect((await c.cache.get(key, heldLoader)).value).toBe('v1');
    clock.advance(200); // past fresh, within grace
    // The refresh is held open: these answers cannot have waited for it.
    const stale = await Promise.all(Array.from({ length: 50 }, () => c.cache.get(key, heldLoader)));
    expect(stale.every((r) => r.stale && r.value === 'v1')).toBe(true);
    expect(stale[0]!.ttlMs).toBeLessThan(0);
    // One refresh, started in the background (it takes the key's lock in Redis first).
    await waitFor(() => loads === 2, 5_000, 'the background refresh to call the loader');
    gate.resolve();
    await waitFor(async () => (await c.cache.get(key, heldLoader)).value === 'v2', 5_000, 'the refresh to land');
    expect(loads).toBe(2);
    const fresh = await c.cache.get(key, heldLoader);
    expect(fresh.value).toBe('v2');
    expect(fresh.stale).toBe(false);
  });

  it('keeps serving the stale entry when the background refresh fails', async () => {
    const key = c.cache.key('swr', 'failing');
    await c.cache.get(key, async () => 'good');
    clock.advance(200);
    let failures = 0;
    const broken = async (): Promise<string> => {
      failures++;
      throw new Error('database is locked');
    };
    const first = await c.cache.get(key, broken);
    expect(first.value).toBe('good');
    await waitFor(() => failures >= 1, 5_000, 'the background refresh to fail');
    const second = await c.cache.get(key, broken);
    expect(second.value).toBe('good');
    expect(second.stale).toBe(true);
  });

  it('fail-safe: when the loader throws, a stale entry within grace is served instead of an error', async () => {
    const key = c.cache.key('safe', 'item');
    await c.cache.get(key, async () => 'kept');
    clock.advance(200);
    const answer = await c.cache.get(key, async () => {
      throw new Error('SQLITE_BUSY');
    });
    expect(answer.value).toBe('kept');
    expect(answer.stale).toBe(true);
  });

  it('fails with a typed error when the loader throws and nothing within grace exists', async () => {
    const key = c.cache.key('brief', 'item');
    await c.cache.get(key, async () => 'short-lived');
    clock.advance(300); // past fresh and grace
    await expect(
      c.cache.get(key, async () => {
        throw new Error('SQLITE_IOERR');
      }),
    ).rejects.toMatchObject({ name: 'LoaderError' });
  });
});
