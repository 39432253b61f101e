import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrefixPolicy } from '../src/cache/prefix-registry.ts';
import { deferred, startTestCache } from './harness/cache.ts';
import { ManualClock } from './harness/manual-clock.ts';

/**
 * Issue 10's rule at the fresh boundary under a database outage: a read never fails while an
 * entry within grace could answer it. Every combination of: stale-while-revalidate on or off;
 * the L1 entry kept, deleted or cleared by a bus gap right as it turns stale; the eager refresh
 * still running (held), already failed, or never started; the loader rejecting at once or
 * hanging until released. L2 (the real cluster) holds the entry throughout.
 */
const base = {
  freshMs: 1_000,
  graceMs: 10_000,
  jitter: 0,
  l1: true,
  softTimeoutMs: 250,
  hardTimeoutMs: 2_000,
  eagerRefresh: 0.8,
};
const POLICIES: PrefixPolicy[] = [
  { name: 'swr', ...base, staleWhileRevalidate: true },
  { name: 'safe', ...base, staleWhileRevalidate: false },
];

type Runtime = Awaited<ReturnType<typeof startTestCache>>;

describe('fail-safe at the fresh boundary with the database down', () => {
  const clock = new ManualClock();
  let c: Runtime;
  beforeAll(async () => {
    c = await startTestCache({ policies: POLICIES, clock });
  });
  afterAll(async () => c?.close());

  for (const prefix of ['swr', 'safe'])
    for (const drop of ['kept', 'deleted', 'gap'])
      for (const eager of ['held', 'failed', 'none'])
        for (const failure of ['rejects', 'hangs'])
          it(`${prefix}: L1 ${drop}, eager refresh ${eager}, loader ${failure}`, async () => {
            const key = c.cache.key(prefix, `${drop}-${eager}-${failure}`);
            await c.cache.get(key, async () => 'v1');
            const gates: { resolve: (v: undefined) => void }[] = [];
            const down = async (): Promise<string> => {
              if (failure === 'hangs' || eager === 'held') {
                const gate = deferred<undefined>();
                gates.push(gate);
                await gate.promise;
              }
              throw new Error('database unavailable');
            };
            // Held loads are released by the test, a few at a time, never by a timer racing the cache's clock.
            const release = setInterval(() => {
              for (const g of gates.splice(0)) g.resolve(undefined);
            }, 20);
            try {
              if (eager === 'none') clock.advance(1_050);
              else {
                clock.advance(850); // past 80% of the fresh time: this hit starts the eager refresh
                expect(await c.cache.get(key, down)).toMatchObject({ value: 'v1', stale: false });
                if (eager === 'failed') await c.cache.settled();
                clock.advance(200); // now stale, well within grace
              }
              if (drop === 'deleted') c.l1.delete(key.full, 'size');
              if (drop === 'gap') c.cache.handleGap();
              expect(await c.cache.get(key, down)).toMatchObject({ value: 'v1', stale: true });
              expect(await c.cache.get(key, down)).toMatchObject({ value: 'v1', stale: true });
            } finally {
              await c.cache.settled();
              clearInterval(release);
            }
          }, 15_000);
});
