/**
 * Pushes 400,000 distinct keys (~12 times the bound) through the L1 tier (via cache.get with a loader, as a miss
 * does) with a byte bound, sampling the accounted size, heap and RSS as it goes. Run with
 * --expose-gc so the final heap figure is after a full collection. Prints one JSON line.
 * HEAP_GROWING_PERCENT (as the service reads it; 0 or unset: V8's own growth) sets how far V8
 * lets garbage pile up before a full collection: run it with 0 and 50 to see what it does to
 * the heap in use and RSS while L1 churns (every evicted entry is old-generation garbage).
 */

import { snapshot } from '../src/shop/snapshot.ts';
import { limitHeapGrowth } from '../src/startup/heap-growth.ts';
import { buildL1Cache } from './in-process.ts';

const growingPercent = Number(process.env['HEAP_GROWING_PERCENT'] ?? 0);
limitHeapGrowth(growingPercent);

const KEYS = 400_000;
const BOUND = 32 * 1024 * 1024;
const SAMPLE_EVERY = 4_000;
const gc = (globalThis as { gc?: () => void }).gc;

gc?.();
const baseHeap = process.memoryUsage().heapUsed;
const { cache, tier, metrics } = buildL1Cache({ maxEntries: 50_000, maxBytes: BOUND });
const samples: { keys: number; accountedBytes: number; entries: number; heapUsed: number; rss: number }[] = [];
let maxAccounted = 0;
const t0 = Date.now();
for (let i = 1; i <= KEYS; i++) {
  // A product-like snapshot of ~400 bytes, distinct per key.
  const key = cache.key('product', i);
  const r = cache.get(key, async () =>
    snapshot({
      id: i,
      sku: `SKU-${i}`,
      name: `Garden Rose ${i}`,
      description: 'Long-stem garden roses from a family grower, cut the morning they ship.',
      price: { amount: 2900 + (i % 500), currency: 'EUR' },
      stock: i % 40,
      category: { slug: 'roses', name: 'Roses' },
      attributes: { stems: 21, colour: 'red' },
    }),
  );
  if (r instanceof Promise) await r;
  if (tier.bytes > maxAccounted) maxAccounted = tier.bytes;
  if (i % SAMPLE_EVERY === 0) {
    const m = process.memoryUsage();
    samples.push({ keys: i, accountedBytes: tier.bytes, entries: tier.size, heapUsed: m.heapUsed, rss: m.rss });
  }
}
const seconds = (Date.now() - t0) / 1e3;
gc?.();
const end = process.memoryUsage();
const metricsText = await metrics.render(undefined);
const sizeLine = metricsText.body.split('\n').find((l) => l.startsWith('cache_size_bytes'));
// What CACHE_L1_MAX_ENTRIES costs before anything is cached: lru-cache sizes its index arrays by it.
const PREALLOCATED = 1_000_000;
gc?.();
const beforeEmpty = process.memoryUsage().heapUsed;
const empty = buildL1Cache({ maxEntries: PREALLOCATED, maxBytes: BOUND });
gc?.();
const preallocated = {
  maxEntries: PREALLOCATED,
  heapBytes: process.memoryUsage().heapUsed - beforeEmpty,
  keep: empty.tier.size,
};
const second = samples.slice(samples.length / 2);
const thirds = [0, 1, 2].map((i) =>
  samples.slice(Math.floor((i * samples.length) / 3), Math.floor(((i + 1) * samples.length) / 3)),
);
const rssMaxByThird = thirds.map((t) => Math.max(...t.map((s) => s.rss)));
const out = {
  keys: KEYS,
  boundBytes: BOUND,
  maxAccountedBytes: maxAccounted,
  finalAccountedBytes: tier.bytes,
  cacheSizeBytesMetric: sizeLine ? Number(sizeLine.split(' ').pop()) : null,
  entries: tier.size,
  heapGrowthAfterGc: end.heapUsed - baseHeap,
  heapToAccounted: (end.heapUsed - baseHeap) / tier.bytes,
  rssEnd: end.rss,
  heapUsedSecondHalf: {
    min: Math.min(...second.map((s) => s.heapUsed)),
    max: Math.max(...second.map((s) => s.heapUsed)),
  },
  heapGrowingPercent: growingPercent,
  heapUsedMax: Math.max(...samples.map((s) => s.heapUsed)),
  rssMax: Math.max(...samples.map((s) => s.rss)),
  rssMaxByThird,
  rssGrowthLastThird: (rssMaxByThird[2] ?? 0) - (rssMaxByThird[1] ?? 0),
  rssSecondHalf: { min: Math.min(...second.map((s) => s.rss)), max: Math.max(...second.map((s) => s.rss)) },
  seconds,
  preallocated,
  samples,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
