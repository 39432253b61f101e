import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrefixPolicy } from '../src/cache/prefix-registry.ts';
import { type CacheObserver, type CacheSemanticsObserver, noopObserver } from '../src/cache/types.ts';
import { startTestCache } from './harness/cache.ts';
import { ManualClock } from './harness/manual-clock.ts';

type Runtime = Awaited<ReturnType<typeof startTestCache>>;

/** Loader timeouts and eager refresh on the real cluster, with time for freshness moved by hand. */
const POLICIES: PrefixPolicy[] = [
  {
    name: 'soft',
    freshMs: 1_000,
    graceMs: 10_000,
    jitter: 0,
    l1: true,
    staleWhileRevalidate: false,
    softTimeoutMs: 50,
    hardTimeoutMs: 2_000,
    eagerRefresh: 0,
  },
  {
    name: 'hard',
    freshMs: 1_000,
    graceMs: 10_000,
    jitter: 0,
    l1: true,
    staleWhileRevalidate: false,
    hardTimeoutMs: 100,
    eagerRefresh: 0,
  },
  { name: 'eager', freshMs: 1_000, graceMs: 10_000, jitter: 0, l1: true, staleWhileRevalidate: true },
];

const counted: string[] = [];
const semantics: CacheSemanticsObserver = {
  staleServed: () => counted.push('stale'),
  invalidationLag: () => undefined,
  lockWait: () => undefined,
  lockTakeover: () => undefined,
  refresh: (p, reason, ok) => counted.push(`refresh ${p.name} ${reason} ${ok ? 'ok' : 'error'}`),
  loaderTimeout: (p, kind) => counted.push(`timeout ${p.name} ${kind}`),
};
const observer: CacheObserver = { ...noopObserver, semantics };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('loader timeouts and eager refresh', () => {
  const clock = new ManualClock();
  let c: Runtime;
  beforeAll(async () => {
    c = await startTestCache({ policies: POLICIES, clock, observer });
  });
  afterAll(async () => c?.close());

  it('soft timeout: a stale value within grace answers while the slow load finishes in the background', async () => {
    const key = c.cache.key('soft', 'slow');
    let loads = 0;
    const loader = async () => {
      loads++;
      if (loads > 1) await sleep(300);
      return `v${loads}`;
    };
    await c.cache.get(key, loader);
    clock.advance(1_500);
    const t0 = performance.now();
    const answer = await c.cache.get(key, loader);
    expect(performance.now() - t0).toBeLessThan(250);
    expect(answer).toMatchObject({ value: 'v1', stale: true, timeout: 'soft' });
    expect(counted).toContain('timeout soft soft');
    await c.cache.settled();
    expect(loads).toBe(2);
    expect(await c.cache.get(key, loader)).toMatchObject({ value: 'v2', stale: false });
  });

  it('hard timeout: the fail-safe value when one is within grace, a typed error otherwise', async () => {
    const release: (() => void)[] = [];
    const hanging = () => new Promise<string>((_, reject) => release.push(() => reject(new Error('released'))));
    const cold = c.cache.key('hard', 'cold');
    await expect(c.cache.get(cold, hanging)).rejects.toMatchObject({ name: 'LoaderTimeoutError' });
    const warm = c.cache.key('hard', 'warm');
    await c.cache.get(warm, async () => 'kept');
    clock.advance(1_500);
    expect(await c.cache.get(warm, hanging)).toMatchObject({ value: 'kept', stale: true, timeout: 'hard' });
    expect(counted.filter((x) => x === 'timeout hard hard')).toHaveLength(2);
    for (const r of release) r();
    await c.cache.settled();
  });

  it('eager refresh: a hit past 80% of the fresh time refreshes in the background, so the key never goes stale', async () => {
    const key = c.cache.key('eager', 'hot');
    let loads = 0;
    const loader = async () => `v${++loads}`;
    await c.cache.get(key, loader);
    clock.advance(700);
    expect(await c.cache.get(key, loader)).toMatchObject({ value: 'v1', stale: false });
    await c.cache.settled();
    expect(loads).toBe(1); // before the eager share: nothing
    clock.advance(150);
    expect(await c.cache.get(key, loader)).toMatchObject({ value: 'v1', stale: false });
    await c.cache.settled();
    expect(loads).toBe(2);
    expect(counted).toContain('refresh eager eager ok');
    clock.advance(300); // past the first entry's fresh time: the refreshed one answers, fresh
    expect(await c.cache.get(key, loader)).toMatchObject({ value: 'v2', stale: false });
  });
});
