import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheKey } from '../src/cache/cache-key.ts';
import { LoaderError } from '../src/cache/errors.ts';
import type { PrefixPolicy } from '../src/cache/prefix-registry.ts';
import { prefixTag } from '../src/cache/tag-versions.ts';
import { type CacheObserver, type LastResortSource, noopObserver } from '../src/cache/types.ts';
import { deferred, startTestCache } from './harness/cache.ts';
import { ManualClock } from './harness/manual-clock.ts';
import { type RedisClusterHandle, startPrivateCluster } from './harness/redis.ts';

/**
 * Issue 17's outage under load, made deterministic: the database is down (the loader rejects),
 * a bus gap has just dropped L1 (a stalled event loop misses three heartbeats) and the L2 read
 * times out (every master of a private cluster paused with SIGSTOP, 100 ms L2 timeout). The
 * entry is within grace in L2 and was in L1 before the gap: the read must not fail. And the
 * last resort must not outlive what can be known against it: an L2 that answers "miss", an
 * invalidation heard after the gap, a tag bump, or a newer value of the key.
 */
const base = {
  freshMs: 1_000,
  graceMs: 10_000,
  jitter: 0,
  softTimeoutMs: 250,
  hardTimeoutMs: 2_000,
  eagerRefresh: 0,
};
const POLICIES: PrefixPolicy[] = [
  { name: 'swr', ...base, l1: true, staleWhileRevalidate: true },
  { name: 'safe', ...base, l1: true, staleWhileRevalidate: false },
  { name: 'nol1', ...base, l1: false, staleWhileRevalidate: false },
];

type Runtime = Awaited<ReturnType<typeof startTestCache>>;

describe('the last resort of a read the loader and L2 both fail', () => {
  const clock = new ManualClock();
  const served: string[] = [];
  const observer: CacheObserver = {
    ...noopObserver,
    semantics: {
      staleServed() {},
      invalidationLag() {},
      lockWait() {},
      lockTakeover() {},
      refresh() {},
      loaderTimeout() {},
      lastResortServed: (prefix, source: LastResortSource) => served.push(`${prefix.name} ${source}`),
    },
  };
  let cluster: RedisClusterHandle;
  let c: Runtime;
  let masters: number[];
  let n = 0;
  beforeAll(async () => {
    cluster = await startPrivateCluster();
    masters = (await cluster.masters()).map((m) => m.port);
    // A heartbeat far longer than any pause here: the only gaps are the ones the test makes.
    c = await startTestCache({
      seeds: cluster.seedString,
      policies: POLICIES,
      clock,
      observer,
      timeoutMs: 100,
      heartbeatMs: 60_000,
    });
  }, 90_000);
  afterAll(async () => {
    await c?.close();
    await cluster?.stop();
  });

  const down = async (): Promise<string> => {
    throw new Error('database unavailable');
  };

  /** Cached in L1 and L2 as v1, then past its fresh time (well within grace). */
  async function warmThenStale(prefix: string): Promise<CacheKey> {
    const key = c.cache.key(prefix, `k${n++}`);
    expect(await c.cache.get(key, async () => 'v1')).toMatchObject({ value: 'v1', source: 'origin' });
    clock.advance(1_500);
    return key;
  }

  /** Every master paused for the length of fn (far under the cluster's 2 s node timeout: no failover). */
  async function withL2Paused<T>(fn: () => Promise<T>): Promise<T> {
    for (const port of masters) await cluster.pauseNode(port);
    try {
      return await fn();
    } finally {
      for (const port of masters) await cluster.resumeNode(port);
    }
  }

  const resumeL2 = async (): Promise<void> => {
    for (const port of masters) await cluster.resumeNode(port);
  };

  for (const prefix of ['swr', 'safe'])
    it(`${prefix}: L1 dropped by a bus gap, L2 timing out, the database down: the entry the gap dropped answers, stale`, async () => {
      const key = await warmThenStale(prefix);
      c.cache.handleGap();
      const before = served.length;
      const answer = await withL2Paused(async () => c.cache.get(key, down));
      expect(answer).toMatchObject({ value: 'v1', stale: true, source: 'l1', l2: 'unavailable' });
      expect(served.slice(before)).toEqual([`${prefix} gap_kept`]);
      await c.cache.settled();
    });

  for (const loader of ['rejects', 'hangs past the hard timeout'])
    it(`no L1 at all, L2 timing out once, the loader ${loader}: L2 is asked again and its stale entry answers`, async () => {
      const key = await warmThenStale('nol1');
      const before = served.length;
      for (const port of masters) await cluster.pauseNode(port);
      let answer: Awaited<ReturnType<typeof c.cache.get<string>>>;
      try {
        // The first L2 read times out; the nodes are back by the time the load has failed.
        answer = await c.cache.get(key, async () => {
          await resumeL2();
          if (loader !== 'rejects') await new Promise((r) => setTimeout(r, 3_000));
          throw new Error('database unavailable');
        });
      } finally {
        await resumeL2();
      }
      expect(answer).toMatchObject({ value: 'v1', stale: true, source: 'l2' });
      expect(served.slice(before)).toEqual(['nol1 l2_retry']);
      await c.cache.settled();
    }, 15_000);

  it('an L2 that answers "miss" is final: a write the gap hid may have deleted the key, the kept entry does not answer', async () => {
    const key = await warmThenStale('safe');
    c.cache.handleGap();
    // Another instance's write deleted it; its message was lost in the gap.
    await c.l2!.invalidate([key.full]);
    await expect(c.cache.get(key, down)).rejects.toBeInstanceOf(LoaderError);
  });

  it('an invalidation of the key heard after the gap drops the kept entry', async () => {
    const key = await warmThenStale('safe');
    c.cache.handleGap();
    c.cache.handleRemote({ keys: [key.full], tags: [] });
    await expect(withL2Paused(async () => c.cache.get(key, down))).rejects.toBeInstanceOf(LoaderError);
  });

  it('a tag bump heard after the gap outdates the kept entry', async () => {
    const key = await warmThenStale('swr');
    c.cache.handleGap();
    c.cache.handleRemote({ keys: [], tags: [[prefixTag('swr'), 1_000 + n]] });
    await expect(withL2Paused(async () => c.cache.get(key, down))).rejects.toBeInstanceOf(LoaderError);
  });

  it("a newer value of the key takes the kept one's place: the old one never answers after it", async () => {
    const key = await warmThenStale('safe');
    c.cache.handleGap();
    expect(await c.cache.get(key, async () => 'v2')).toMatchObject({ value: 'v2', source: 'origin' });
    // L1 loses v2 (size), L2 is unreachable, the database is down: v1 must not come back.
    c.l1.delete(key.full, 'size');
    expect(await withL2Paused(async () => c.cache.get(key, down))).toMatchObject({ value: 'v2', source: 'l1' });
  });

  it('a load that began before a gap and ends after it may not fill L1, but its value stays the last resort', async () => {
    const key = await warmThenStale('safe');
    const gate = deferred<undefined>();
    const loading = c.cache.get(key, async () => {
      await gate.promise;
      return 'v2';
    });
    // Seen under load: a gap while the load runs; its value then reached neither L1 (refused: begun before the gap) nor the kept set.
    c.cache.handleGap();
    gate.resolve(undefined);
    await loading; // v2, or v1 stale if the soft timeout passed first; the load goes on either way
    await c.cache.settled();
    expect(c.l1.peek(key.full)).toBeUndefined();
    expect(await withL2Paused(async () => c.cache.get(key, down))).toMatchObject({ value: 'v2', source: 'l1' });
  });

  it('past its grace the kept entry is gone', async () => {
    const key = await warmThenStale('safe');
    c.cache.handleGap();
    clock.advance(10_000);
    await expect(withL2Paused(async () => c.cache.get(key, down))).rejects.toBeInstanceOf(LoaderError);
  });
});
