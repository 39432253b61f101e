import { afterEach, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './harness/api-process.ts';
import { sharedClusterSeeds } from './harness/redis.ts';
import { adminHeaders } from './harness/service.ts';
import { parseExposition, type Sample, sampleValue } from './helpers/prometheus-server.ts';

/**
 * The issue's scenario on a running instance (spawned service, real Redis Cluster): a flood of
 * distinct searches (each a one-off key, ~10 kB page) while a hot set of products is read. L1 is
 * 2 MiB, so the flood passes several times L1's size between two reads of the same product.
 * With W-TinyLFU the hot set keeps being answered from L1; with plain LRU it is pushed to L2.
 */
const L1_BYTES = 2 * 1024 * 1024;
const HOT = 100;
const HOT_PASSES = 6;
const FLOOD_CONNECTIONS = 6;
const WORDS = ['rose', 'tulip', 'lily', 'orchid', 'peony', 'bouquet', 'red', 'white', 'pink', 'spring'];

let api: ApiProcess | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

interface FloodResult {
  hotReads: number;
  hotL1Hits: number;
  searches: number;
  metrics: Sample[];
  /** Passes over the hot set left out because the instance detected an invalidation-bus gap (which drops L1). */
  gapPasses: number;
}

async function floodWhileReadingHotSet(env: Record<string, string>): Promise<FloodResult> {
  api = await startApiProcess({
    redis: sharedClusterSeeds(),
    readyTimeoutMs: 90_000,
    // A slow heartbeat: this test makes no writes, and on a busy 2-core machine a flood can delay
    // a few short beats; the detected gap rightly drops all of L1, which measures coherence, not
    // admission. Gaps that still happen are detected below and their passes left out.
    env: { CACHE_L1_MAX_BYTES: String(L1_BYTES), CACHE_BUS_HEARTBEAT_MS: '60000', ...env },
  });
  const base = api.url;
  // Warm-up: the hot set read three times, as a popular product is before any flood.
  for (let pass = 0; pass < 3; pass++)
    for (let id = 1; id <= HOT; id++) expect((await fetch(`${base}/api/products/${id}`)).status).toBe(200);

  let stop = false;
  let searches = 0;
  let next = 0;
  const flood = async () => {
    while (!stop) {
      const n = next++;
      const res = await fetch(`${base}/api/products?q=${WORDS[n % WORDS.length]}&maxPrice=${1_000_000 - n}`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      searches++;
    }
  };
  const floods = Array.from({ length: FLOOD_CONNECTIONS }, flood);
  let hotReads = 0;
  let hotL1Hits = 0;
  let gapPasses = 0;
  const memorySamples: { heap: number; rss: number }[] = [];
  let baseline = { heap: 0, rss: 0 };
  try {
    // Let the flood pass L1's size once before counting.
    while (searches < 400) await new Promise((r) => setImmediate(r));
    baseline = await memory(base);
    let previous = await busState(base);
    let previousPassClean = true;
    for (let pass = 0; pass < HOT_PASSES; pass++) {
      // Every pass is read under at least twice its own number of one-off searches, however fast
      // the hot reads are answered relative to the flood.
      const floodTarget = searches + 2 * HOT;
      let hits = 0;
      for (let id = 1; id <= HOT; id++) {
        const res = await fetch(`${base}/api/products/${id}`);
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        if (/^shop-l1; hit/.test(res.headers.get('cache-status') ?? '')) hits++;
      }
      while (searches < floodTarget) await new Promise((r) => setImmediate(r));
      // A bus gap (three heartbeats missed on this loaded machine) rightly drops all of L1 when it
      // ends; that is coherence, not admission. A pass during which a gap began, was open or
      // ended, and the pass after one, are left out of the ratio and reported.
      const now = await busState(base);
      const clean = now.gaps === previous.gaps && now.healthy && previous.healthy;
      if (clean && previousPassClean) {
        hotReads += HOT;
        hotL1Hits += hits;
      } else gapPasses++;
      previousPassClean = clean;
      previous = now;
      memorySamples.push(await memory(base));
    }
  } finally {
    stop = true;
    await Promise.all(floods);
  }
  const metrics = parseExposition(await (await fetch(`${base}/metrics`)).text()).samples;
  const last = memorySamples.at(-1) ?? baseline;
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  // Reported, not asserted: memory figures belong to benchmarks, and this machine is shared.
  console.log(
    `[l1-flood] memory: heap used ${mb(baseline.heap)} MB after warm-up, max ${mb(Math.max(...memorySamples.map((m) => m.heap)))} MB during the flood (L1 bound ${mb(L1_BYTES)} MB); RSS ${mb(baseline.rss)} → ${memorySamples.map((m) => mb(m.rss)).join(', ')} MB per pass; last heap ${mb(last.heap)} MB`,
  );
  return { hotReads, hotL1Hits, searches, metrics, gapPasses };
}

async function memory(base: string): Promise<{ heap: number; rss: number }> {
  const samples = parseExposition(await (await fetch(`${base}/metrics`)).text()).samples;
  return {
    heap: sampleValue(samples, 'nodejs_heap_size_used_bytes'),
    rss: sampleValue(samples, 'process_resident_memory_bytes'),
  };
}

async function busState(base: string): Promise<{ gaps: number; healthy: boolean }> {
  const stats = (await (await fetch(`${base}/admin/cache/stats`, { headers: adminHeaders })).json()) as {
    status: { bus: { gaps?: number; healthy?: boolean } };
  };
  return { gaps: stats.status.bus.gaps ?? 0, healthy: stats.status.bus.healthy ?? false };
}

function report(mode: string, r: FloodResult): number {
  expect(r.hotReads, 'at least two passes without a bus gap').toBeGreaterThanOrEqual(2 * HOT);
  const ratio = r.hotL1Hits / r.hotReads;
  console.log(
    `[l1-flood] ${mode}: hot-set L1 hit ratio ${(100 * ratio).toFixed(1)}% (${r.hotL1Hits}/${r.hotReads}) under ${r.searches} distinct searches, ${r.gapPasses} of ${HOT_PASSES} passes left out for a bus gap`,
  );
  return ratio;
}

describe('a flood of distinct searches against a hot set of products (running instance, real Redis Cluster)', {
  timeout: 300_000,
}, () => {
  it('W-TinyLFU with the default byte shares: the hot set stays in L1, searches are held to their share', async () => {
    const r = await floodWhileReadingHotSet({});
    expect(r.searches).toBeGreaterThan(HOT * HOT_PASSES * 2);
    expect(report('tinylfu + budgets', r)).toBeGreaterThanOrEqual(0.9);
    // The search share keeps the main region from filling, so searches enter it without a contest
    // and are then dropped, oldest first, to stay within their share.
    expect(sampleValue(r.metrics, 'cache_admissions_total', { prefix: 'search', result: 'admitted' })).toBeGreaterThan(
      0,
    );
    expect(
      sampleValue(r.metrics, 'cache_evictions_total', { tier: 'l1', prefix: 'search', reason: 'size' }),
    ).toBeGreaterThan(r.searches / 2);
    expect(sampleValue(r.metrics, 'cache_evictions_total', { tier: 'l1', prefix: 'product', reason: 'size' })).toBe(0);
    const searchBytes = sampleValue(r.metrics, 'cache_l1_prefix_bytes', { prefix: 'search' });
    expect(searchBytes).toBeLessThanOrEqual(
      sampleValue(r.metrics, 'cache_l1_prefix_budget_bytes', { prefix: 'search' }),
    );
    expect(sampleValue(r.metrics, 'cache_size_bytes', { tier: 'l1' })).toBeLessThanOrEqual(L1_BYTES);
  });

  it('W-TinyLFU alone (byte shares off) keeps the hot set too', async () => {
    const r = await floodWhileReadingHotSet({ CACHE_L1_PREFIX_BUDGETS: 'false' });
    expect(report('tinylfu, no budgets', r)).toBeGreaterThanOrEqual(0.9);
    expect(sampleValue(r.metrics, 'cache_evictions_total', { tier: 'l1', prefix: 'product', reason: 'size' })).toBe(0);
    expect(sampleValue(r.metrics, 'cache_admissions_total', { prefix: 'search', result: 'rejected' })).toBeGreaterThan(
      r.searches / 2,
    );
  });

  it('plain LRU (CACHE_L1_ADMISSION=lru, byte shares off) loses the hot set to the flood', async () => {
    const r = await floodWhileReadingHotSet({ CACHE_L1_ADMISSION: 'lru', CACHE_L1_PREFIX_BUDGETS: 'false' });
    expect(report('plain LRU', r)).toBeLessThan(0.5);
    expect(sampleValue(r.metrics, 'cache_admissions_total', { prefix: 'search', result: 'rejected' })).toBe(0);
    expect(
      sampleValue(r.metrics, 'cache_evictions_total', { tier: 'l1', prefix: 'product', reason: 'size' }),
    ).toBeGreaterThan(0);
  });
});
