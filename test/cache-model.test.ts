import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestCache } from './harness/cache.ts';
import { ManualClock } from './harness/manual-clock.ts';
import { type RedisClusterHandle, startPrivateCluster } from './harness/redis.ts';
import { testNamespace } from './harness/service.ts';
import {
  commandArbitraries,
  healthy,
  type Instance,
  MODEL_POLICIES,
  observeBus,
  stats,
  World,
} from './model/cache-model.ts';

/**
 * Model-based tests of the cache: fast-check draws sequences of commands (get, getMany, writes
 * invalidating by key, tag or prefix, time moving, L1 evictions, a slow, failing or hanging
 * loader, L2 paused and resumed) against two real instances on a real Redis Cluster, and checks
 * the invariants after every step (see test/model/cache-model.ts). A failure prints the shrunk
 * command sequence and the seed to replay it.
 *
 * `npm test` runs CACHE_MODEL_RUNS (default 200) sequences plus a tenth of that with outages;
 * `npm run test:model` runs many more (CACHE_MODEL_RUNS=2000 by default there).
 */
const RUNS = Number(process.env['CACHE_MODEL_RUNS'] ?? 200);
const OUTAGE_RUNS = Math.max(5, Math.round(RUNS / 10));
const SEED = process.env['CACHE_MODEL_SEED'] ? Number(process.env['CACHE_MODEL_SEED']) : undefined;

let cluster: RedisClusterHandle;
let a: Instance;
let b: Instance;
const clock = new ManualClock();
let run = 0;

beforeAll(async () => {
  // A private cluster without replicas: the outage commands pause every master, and nothing fails over.
  cluster = await startPrivateCluster({ replicasPerMaster: 0 });
  const namespace = testNamespace();
  const options = {
    namespace,
    seeds: cluster.seedString,
    policies: MODEL_POLICIES,
    clock,
    maxEntries: 6,
    lockWaitMs: 150,
    timeoutMs: 60,
  };
  a = observeBus('a', await startTestCache(options));
  b = observeBus('b', await startTestCache(options));
});

afterAll(async () => {
  await a?.rt.close();
  await b?.rt.close();
  await cluster?.stop();
});

async function pauseMasters(down: boolean): Promise<void> {
  for (const m of cluster.seeds) {
    if (down) await cluster.pauseNode(m.port);
    else await cluster.resumeNode(m.port);
  }
}

async function runSequences(withOutages: boolean, numRuns: number, maxCommands: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.commands(commandArbitraries(withOutages), { maxCommands, size: 'max' }), async (cmds) => {
      const world = new World(run++, a, b, clock, pauseMasters);
      try {
        await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
      } finally {
        world.mode = 'ok';
        await world.release();
        if (!world.l2Up) {
          await pauseMasters(false);
          await healthy(world);
        }
      }
    }),
    { numRuns, ...(SEED !== undefined ? { seed: SEED } : {}), verbose: 1 },
  );
  console.log(JSON.stringify({ modelRuns: numRuns, withOutages, exercised: stats }));
  for (const k of Object.keys(stats)) delete stats[k];
}

describe('cache model', () => {
  it(`holds its invariants over ${RUNS} random command sequences`, async () => {
    await runSequences(false, RUNS, 20);
  }, 600_000);

  it(`holds them with L2 going down and up, over ${OUTAGE_RUNS} sequences`, async () => {
    await runSequences(true, OUTAGE_RUNS, 16);
  }, 600_000);
});
