import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrefixPolicy } from '../src/cache/prefix-registry.ts';
import { startTestCache } from './harness/cache.ts';

type Runtime = Awaited<ReturnType<typeof startTestCache>>;

const SHORT: PrefixPolicy[] = [
  { name: 'swr', freshMs: 150, graceMs: 5_000, jitter: 0, l1: true, staleWhileRevalidate: true },
  { name: 'safe', freshMs: 150, graceMs: 5_000, jitter: 0, l1: true, staleWhileRevalidate: false },
  { name: 'brief', freshMs: 100, graceMs: 100, jitter: 0, l1: true, staleWhileRevalidate: false },
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stale-while-revalidate and fail-safe', () => {
  let c: Runtime;
  beforeAll(async () => {
    c = await startTestCache({ policies: SHORT });
  });
  afterAll(async () => c?.close());

  it('serves a stale entry at once while exactly one background refresh runs', async () => {
    const key = c.cache.key('swr', 'item');
    let loads = 0;
    const slowLoader = async () => {
      loads++;
      await sleep(300);
      return `v${loads}`;
    };
    expect((await c.cache.get(key, slowLoader)).value).toBe('v1');
    await sleep(200); // past fresh, within grace
    const started = Date.now();
    const stale = await Promise.all(Array.from({ length: 50 }, () => c.cache.get(key, slowLoader)));
    expect(Date.now() - started).toBeLessThan(250); // did not wait for the 300 ms loader
    expect(stale.every((r) => r.stale && r.value === 'v1')).toBe(true);
    expect(stale[0]!.ttlMs).toBeLessThan(0);
    await sleep(400);
    expect(loads).toBe(2);
    const fresh = await c.cache.get(key, slowLoader);
    expect(fresh.value).toBe('v2');
    expect(fresh.stale).toBe(false);
  });

  it('keeps serving the stale entry when the background refresh fails', async () => {
    const key = c.cache.key('swr', 'failing');
    await c.cache.get(key, async () => 'good');
    await sleep(200);
    let failures = 0;
    const broken = async (): Promise<string> => {
      failures++;
      throw new Error('database is locked');
    };
    const first = await c.cache.get(key, broken);
    expect(first.value).toBe('good');
    await sleep(50);
    const second = await c.cache.get(key, broken);
    expect(second.value).toBe('good');
    expect(second.stale).toBe(true);
    expect(failures).toBeGreaterThanOrEqual(1);
  });

  it('fail-safe: when the loader throws, a stale entry within grace is served instead of an error', async () => {
    const key = c.cache.key('safe', 'item');
    await c.cache.get(key, async () => 'kept');
    await sleep(200);
    const answer = await c.cache.get(key, async () => {
      throw new Error('SQLITE_BUSY');
    });
    expect(answer.value).toBe('kept');
    expect(answer.stale).toBe(true);
  });

  it('fails with a typed error when the loader throws and nothing within grace exists', async () => {
    const key = c.cache.key('brief', 'item');
    await c.cache.get(key, async () => 'short-lived');
    await sleep(300); // past fresh and grace
    await expect(
      c.cache.get(key, async () => {
        throw new Error('SQLITE_IOERR');
      }),
    ).rejects.toMatchObject({ name: 'LoaderError' });
  });
});
