import { afterEach, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './harness/api-process.ts';
import { sharedClusterSeeds } from './harness/redis.ts';
import { parseExposition, sampleValue } from './helpers/prometheus-server.ts';

/**
 * The process under a flood of distinct searches keeps its heap within the L1 bound plus a fixed
 * overhead, and its RSS levels off. A running instance (spawned as `npm start` runs it, real
 * Redis Cluster) with plain LRU and byte shares off, so every search enters L1 and all of it
 * churns: the worst case for memory. The flood goes on until L1's bytes have been replaced
 * TURNOVERS times over, sampling /metrics as it goes.
 *
 * Heap: `nodejs_heap_live_bytes` (what the last full collection kept) must stay within
 * L1 bound + FIXED_OVERHEAD, the service's own heap (~45 MB live after start with its SQLite
 * catalogue, compiled code, metrics, connections). The heap in use, garbage included, must stay
 * within (1 + HEAP_GROWING_PERCENT/100) of that: the factor the service gives V8.
 * RSS: its largest value in the last third of the flood may exceed the middle third's by at most
 * RSS_GROWTH_BOUND (V8's young generation and the allocator settle in the first third).
 */
const L1_BYTES = 8 * 1024 * 1024;
const MIB = 1024 * 1024;
const FIXED_OVERHEAD = 64 * MIB;
const GROWING = 0.5;
const RSS_GROWTH_BOUND = 16 * MIB;
const TURNOVERS = 6;
const CONNECTIONS = 8;
const WORDS = ['rose', 'tulip', 'lily', 'orchid', 'peony', 'bouquet', 'red', 'white', 'pink', 'spring'];

let api: ApiProcess | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

interface Sample {
  /** Searches answered so far: the flood's progress, whatever the machine's speed. */
  searches: number;
  l1Bytes: number;
  evictedSearches: number;
  liveHeap: number;
  heapUsed: number;
  rss: number;
  majorGcs: number;
}

async function sample(base: string, searches: number): Promise<Sample> {
  const s = parseExposition(await (await fetch(`${base}/metrics`)).text()).samples;
  return {
    searches,
    l1Bytes: sampleValue(s, 'cache_size_bytes', { tier: 'l1' }),
    evictedSearches: sampleValue(s, 'cache_evictions_total', { tier: 'l1', prefix: 'search', reason: 'size' }),
    liveHeap: sampleValue(s, 'nodejs_heap_live_bytes'),
    heapUsed: sampleValue(s, 'nodejs_heap_size_used_bytes'),
    rss: sampleValue(s, 'process_resident_memory_bytes'),
    // The series appears with the first major collection, which may not have run yet.
    majorGcs: s.some((x) => x.name === 'nodejs_gc_duration_seconds_count' && x.labels.kind === 'major')
      ? sampleValue(s, 'nodejs_gc_duration_seconds_count', { kind: 'major' })
      : 0,
  };
}

describe('memory under a flood of distinct searches (running instance, real Redis Cluster)', {
  timeout: 420_000,
}, () => {
  it('live heap within the L1 bound plus a fixed overhead, heap in use within the growth factor, RSS levels off', async () => {
    api = await startApiProcess({
      redis: sharedClusterSeeds(),
      readyTimeoutMs: 90_000,
      env: {
        CACHE_L1_MAX_BYTES: String(L1_BYTES),
        CACHE_L1_ADMISSION: 'lru',
        CACHE_L1_PREFIX_BUDGETS: 'false',
        // No writes here; a slow heartbeat keeps a busy machine's missed beats from dropping L1.
        CACHE_BUS_HEARTBEAT_MS: '60000',
      },
    });
    const base = api.url;
    let stop = false;
    let searches = 0;
    let bytesIn = 0;
    let next = 0;
    const flood = async () => {
      while (!stop) {
        const n = next++;
        const res = await fetch(`${base}/api/products?q=${WORDS[n % WORDS.length]}&maxPrice=${100_000_000 - n}`);
        expect(res.status).toBe(200);
        bytesIn += (await res.arrayBuffer()).byteLength;
        searches++;
      }
    };
    const before = await sample(base, 0);
    const floods = Array.from({ length: CONNECTIONS }, flood);
    const samples: Sample[] = [];
    const deadline = Date.now() + 360_000;
    try {
      // Until L1 has been filled and then replaced TURNOVERS times (search pages are evicted whole).
      for (;;) {
        await new Promise((r) => setTimeout(r, 1_000));
        const s = await sample(base, searches);
        samples.push(s);
        const perPage = bytesIn / Math.max(1, searches);
        if (s.evictedSearches * perPage >= TURNOVERS * L1_BYTES) break;
        if (Date.now() > deadline)
          throw new Error(`flood too slow: ${searches} searches, ${s.evictedSearches} evicted`);
      }
    } finally {
      stop = true;
      await Promise.all(floods);
    }
    const total = samples.at(-1)!.searches;
    const third = (i: number) =>
      samples.filter((s) => s.searches > (i * total) / 3 && s.searches <= ((i + 1) * total) / 3);
    const max = (xs: Sample[], f: (s: Sample) => number) => Math.max(...xs.map(f));
    const mib = (n: number) => (n / MIB).toFixed(1);
    const rssByThird = [0, 1, 2].map((i) => max(third(i), (s) => s.rss));
    const liveMax = max(samples, (s) => s.liveHeap);
    const usedMax = max(samples, (s) => s.heapUsed);
    const majorGcs = samples.at(-1)!.majorGcs - before.majorGcs;
    console.log(
      `[l1-flood-memory] ${total} searches (${(bytesIn / total / 1024).toFixed(1)} kB a page), L1 bound ${mib(L1_BYTES)} MiB, max L1 ${mib(max(samples, (s) => s.l1Bytes))} MiB; live heap ${mib(before.liveHeap)} MiB before, max ${mib(liveMax)} MiB during (bound ${mib(L1_BYTES + FIXED_OVERHEAD)}); heap used max ${mib(usedMax)} MiB (bound ${mib((1 + GROWING) * (L1_BYTES + FIXED_OVERHEAD))}); ${majorGcs} full GCs; RSS ${mib(before.rss)} MiB before, max by third ${rssByThird.map(mib).join(' / ')} MiB (last-third growth ${mib(rssByThird[2]! - rssByThird[1]!)} MiB, bound ${mib(RSS_GROWTH_BOUND)})`,
    );
    expect(max(samples, (s) => s.l1Bytes)).toBeLessThanOrEqual(L1_BYTES);
    // The live figure is fresh only if full collections ran during the flood.
    expect(majorGcs).toBeGreaterThanOrEqual(2);
    expect(liveMax).toBeLessThanOrEqual(L1_BYTES + FIXED_OVERHEAD);
    expect(usedMax).toBeLessThanOrEqual((1 + GROWING) * (L1_BYTES + FIXED_OVERHEAD));
    expect(rssByThird[2]! - rssByThird[1]!).toBeLessThanOrEqual(RSS_GROWTH_BOUND);
  });
});
