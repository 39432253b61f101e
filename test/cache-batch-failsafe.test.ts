import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoaderError } from '../src/cache/errors.ts';
import type { PrefixPolicy } from '../src/cache/prefix-registry.ts';
import { startTestCache } from './harness/cache.ts';
import { ManualClock } from './harness/manual-clock.ts';

/**
 * getMany (best sellers read their products this way) under a database outage: keys past their
 * fresh time but within grace answer stale when the loader fails, as one key's read does; a
 * batch with a key nothing can answer fails whole, never answered with that key left out.
 */
const base = { freshMs: 1_000, graceMs: 10_000, jitter: 0, staleWhileRevalidate: true };
const POLICIES: PrefixPolicy[] = [
  { name: 'withl1', ...base, l1: true },
  { name: 'l2only', ...base, l1: false },
];

describe('getMany fail-safe', () => {
  const clock = new ManualClock();
  let c: Awaited<ReturnType<typeof startTestCache>>;
  beforeAll(async () => {
    c = await startTestCache({ policies: POLICIES, clock });
  });
  afterAll(async () => c?.close());

  const down = async (): Promise<Map<string, string>> => {
    throw new Error('database unavailable');
  };

  for (const prefix of ['withl1', 'l2only'])
    it(`${prefix}: stale entries within grace answer a batch whose load fails`, async () => {
      const keys = [c.cache.key(prefix, 'a'), c.cache.key(prefix, 'b')];
      const loaded = await c.cache.getMany(
        keys,
        async (missing) => new Map(missing.map((k) => [k.full, `v-${k.full}`])),
      );
      expect([...loaded.values()]).toEqual(keys.map((k) => `v-${k.full}`));
      clock.advance(1_500);
      const answered = await c.cache.getMany(keys, down);
      expect(keys.map((k) => answered.get(k.full))).toEqual(keys.map((k) => `v-${k.full}`));
    });

  it('a key with nothing within grace fails the whole batch', async () => {
    const cached = c.cache.key('withl1', 'c');
    await c.cache.getMany([cached], async () => new Map([[cached.full, 'v']]));
    clock.advance(1_500);
    await expect(c.cache.getMany([cached, c.cache.key('withl1', 'never')], down)).rejects.toBeInstanceOf(LoaderError);
    clock.advance(10_000);
    await expect(c.cache.getMany([cached], down)).rejects.toBeInstanceOf(LoaderError);
  });
});
