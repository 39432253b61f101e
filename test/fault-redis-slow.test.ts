import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RedisClusterNodeInfo } from '../src/redis-cluster/index.ts';
import {
  type ApiProcess,
  type LoadSample,
  percentile,
  readyz,
  runReadLoad,
  startApiProcess,
} from './harness/api-process.ts';
import { type RedisClusterHandle, startPrivateCluster } from './harness/redis.ts';
import { waitFor } from './harness/service.ts';

const L2_TIMEOUT_MS = 100;
/**
 * What a request may cost beyond the L2 timeout: a SQLite read on a busy 2-core machine (500 ms
 * was exceeded once, at 670 ms, beside the other fault tests). Still well under the 1.5-2 s the
 * node is stuck, so a request that waited for it fails.
 */
const MARGIN_MS = 1_000;

let cluster: RedisClusterHandle;
let api: ApiProcess;

beforeAll(async () => {
  cluster = await startPrivateCluster();
  // L1 off, so every read of a key on the slow master has to ask it.
  api = await startApiProcess({
    redis: cluster.seedString,
    env: { CACHE_L1_ENABLED: 'false', CACHE_L2_TIMEOUT_MS: String(L2_TIMEOUT_MS) },
  });
});

afterAll(async () => {
  await api?.stop();
  await cluster?.stop();
});

const inRanges = (slot: number, ranges: readonly [number, number][]) => ranges.some(([a, b]) => slot >= a && slot <= b);

async function victimWithIds(): Promise<{ victim: RedisClusterNodeInfo; ids: number[] }> {
  const masters = await cluster.masters();
  const victim = masters[0]!;
  const ids = Array.from({ length: 300 }, (_, i) => i + 1).filter((id) =>
    inRanges(calculateSlot(`product:${id}`), victim.slotRanges),
  );
  for (const id of ids) expect((await fetch(`${api.url}/api/products/${id}`)).status).toBe(200);
  return { victim, ids };
}

function check(samples: LoadSample[], label: string): void {
  const latencies = samples.map((s) => s.ms);
  const slowest = Math.max(...latencies);
  console.log(
    JSON.stringify({
      test: 'redis-slow',
      variant: label,
      requests: samples.length,
      failed: samples.filter((s) => s.status !== 200).length,
      answeredWithoutL2: samples.filter((s) => s.cacheStatus.includes('detail=unavailable')).length,
      p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
      p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
      maxMs: Math.round(slowest),
      boundMs: L2_TIMEOUT_MS + MARGIN_MS,
    }),
  );
  expect(samples.filter((s) => s.status !== 200)).toEqual([]);
  // The slowness was felt: some answers came from SQLite because the master did not answer in time.
  expect(samples.filter((s) => s.cacheStatus.includes('detail=unavailable')).length).toBeGreaterThan(0);
  expect(slowest).toBeLessThan(L2_TIMEOUT_MS + MARGIN_MS);
}

test('DEBUG SLEEP 2 on a master: reads of its keys still answer within the L2 timeout plus a SQLite read', async () => {
  const { victim, ids } = await victimWithIds();
  const blocker = new Redis({ host: '127.0.0.1', port: victim.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await blocker.connect();
  try {
    // Not awaited before the load: the node is blocked for 2 s while requests arrive.
    const sleeping = blocker.call('DEBUG', 'SLEEP', '2');
    await new Promise((r) => setTimeout(r, 50));
    const samples = await runReadLoad({
      baseUrl: api.url,
      concurrency: 8,
      durationMs: 1_800,
      nextPath: (loop, i) => `/api/products/${ids[(loop * 31 + i) % ids.length]}`,
    });
    await sleeping;
    check(samples, 'DEBUG SLEEP 2');
  } finally {
    blocker.disconnect();
  }
  await waitFor(async () => (await readyz(api.url)).status === 'ready', 15_000, 'readiness after the node woke up');
  await waitFor(
    async () =>
      ((await fetch(`${api.url}/api/products/${ids[0]}`)).headers.get('cache-status') ?? '').startsWith('shop-l2; hit'),
    15_000,
    'L2 hits on the slow master again',
  );
}, 60_000);

test('one master SIGSTOPped for 1.5 s (shorter than failover): reads of its keys still answer within the bound', async () => {
  const { victim, ids } = await victimWithIds();
  await cluster.pauseNode(victim.port);
  let samples: LoadSample[];
  try {
    samples = await runReadLoad({
      baseUrl: api.url,
      concurrency: 8,
      durationMs: 1_500,
      nextPath: (loop, i) => `/api/products/${ids[(loop * 17 + i) % ids.length]}`,
    });
  } finally {
    await cluster.resumeNode(victim.port);
  }
  check(samples, 'SIGSTOP one master 1.5 s');
  await cluster.waitForClusterOk(20_000);
  await waitFor(async () => (await readyz(api.url)).status === 'ready', 15_000, 'readiness after the node resumed');
}, 60_000);
