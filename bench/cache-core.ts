/**
 * ns per L1 hit through the whole cache API (`cache.get(key, loader)`, returning synchronously)
 * against a bare lru-cache `get` on the same keys. Prints one JSON line.
 *
 * One cache per process, observed as npm start observes it; `CORE_OBSERVER=noop` runs the same
 * lines with a no-op observer instead (bench/run.ts runs both). Until this round both caches
 * lived in one process, and the second observer class made the hit path's observer calls
 * polymorphic, which production (one cache, one observer) never is.
 *
 * Read the figures as ranges: from one process to the next V8 inlines the hit path or not, and
 * the same build measured 66–100 ns per synchronous hit across runs on a quiet host.
 */
import { performance } from 'node:perf_hooks';
import type { CacheKey } from '../src/cache/cache-key.ts';
import { coarseNow } from '../src/cache/clock.ts';
import { hitLookup, type Lookup } from '../src/cache/lookup.ts';
import { stampsAreCurrent } from '../src/cache/tag-versions.ts';
import { snapshot } from '../src/shop/snapshot.ts';
import { buildL1Cache, LRUCache } from './in-process.ts';

const KEYS = 4_096;
const ITERATIONS = 2_000_000;
const ROUNDS = 7;

const NOOP = process.env.CORE_OBSERVER === 'noop';
const { cache, tier } = buildL1Cache({ maxEntries: 50_000, maxBytes: 64 * 1024 * 1024 }, { metrics: !NOOP });
const keys = Array.from({ length: KEYS }, (_, i) => cache.key('product', i + 1));
const value = snapshot({ id: 1, name: 'Red Rose, 21 stems', price: { amount: 2900, currency: 'EUR' } });
const loader = async () => value;
for (const key of keys) await cache.get(key, loader);

const raw = new LRUCache<string, { value: unknown }>({ max: 50_000 });
// The options L1MemoryTier gives lru-cache: per-entry TTL and a byte size, which cost on every get.
const rawTtl = new LRUCache<string, { value: unknown }>({
  max: 50_000,
  maxSize: 64 * 1024 * 1024,
  sizeCalculation: () => 100,
  ttlAutopurge: false,
  allowStale: false,
  updateAgeOnGet: false,
  dispose: () => undefined,
});
for (const key of keys) {
  raw.set(key.full, { value });
  rawTtl.set(key.full, { value }, { ttl: 600_000 });
}

let sink = 0;
function viaCache(n: number): void {
  for (let i = 0; i < n; i++) {
    const r = cache.get(keys[i & (KEYS - 1)]!, loader);
    if (!(r instanceof Promise)) sink += r.ttlMs > 0 ? 1 : 0;
  }
}
function viaCacheWithKey(n: number): void {
  for (let i = 0; i < n; i++) {
    const r = cache.get(cache.key('product', (i & (KEYS - 1)) + 1), loader);
    if (!(r instanceof Promise)) sink += r.ttlMs > 0 ? 1 : 0;
  }
}
function keyOnly(n: number): void {
  for (let i = 0; i < n; i++) sink += cache.key('product', (i & (KEYS - 1)) + 1).full.length;
}
/** What the product route does: CatalogService.product(id) builds the key from its parts and the caller awaits. */
async function shopCall(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await cache.get(cache.key('product', (i & (KEYS - 1)) + 1), loader);
    sink += r.ttlMs > 0 ? 1 : 0;
  }
}
async function viaLruAwait(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await raw.get(keys[i & (KEYS - 1)]!.full);
    if (r !== undefined) sink += 1;
  }
}
function viaLru(n: number): void {
  for (let i = 0; i < n; i++) {
    const r = raw.get(keys[i & (KEYS - 1)]!.full);
    if (r !== undefined) sink += 1;
  }
}

/** The L1 tier's own get under the cache: W-TinyLFU on lru-cache (main, then window, then the sketch's access record). */
function viaTier(n: number): void {
  for (let i = 0; i < n; i++) {
    const r = tier.get(keys[i & (KEYS - 1)]!.full);
    if (r !== undefined) sink += 1;
  }
}

/**
 * The least any L1 hit through this tier must do, written inline here (not the cache's code):
 * the tier's get, freshness on the coarse clock, the tag stamps, one hit counted per prefix and
 * the result object. What the cache's own hit adds above this is its operator features
 * (sampled timing and hot keys, the observer's counters, the tracing check, eager refresh).
 */
const hitsPerPrefix = new Float64Array(64);
function leanHit(key: CacheKey): Lookup<unknown> | undefined {
  const entry = tier.get(key.full);
  if (entry === undefined) return undefined;
  const now = coarseNow();
  if (!stampsAreCurrent(entry.tags) || now >= entry.freshUntil) return undefined;
  hitsPerPrefix[key.prefix.index]! += 1;
  return hitLookup(entry, 'l1', now, false);
}
function viaLeanHit(n: number): void {
  for (let i = 0; i < n; i++) {
    const r = leanHit(keys[i & (KEYS - 1)]!);
    if (r !== undefined) sink += r.ttlMs > 0 ? 1 : 0;
  }
}

function viaLruTtl(n: number): void {
  for (let i = 0; i < n; i++) {
    const r = rawTtl.get(keys[i & (KEYS - 1)]!.full);
    if (r !== undefined) sink += 1;
  }
}

async function nsPerOp(fn: (n: number) => void | Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn(ITERATIONS);
  return ((performance.now() - t0) * 1e6) / ITERATIONS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// Warm-up: let the JIT optimise all three loops before anything is timed.
for (let i = 0; i < 3; i++) {
  viaCache(ITERATIONS / 4);
  viaCacheWithKey(ITERATIONS / 4);
  viaLru(ITERATIONS / 4);
  viaLruTtl(ITERATIONS / 4);
  viaTier(ITERATIONS / 4);
  viaLeanHit(ITERATIONS / 4);
  keyOnly(ITERATIONS / 4);
  await shopCall(ITERATIONS / 4);
  await viaLruAwait(ITERATIONS / 4);
}
const rounds = {
  cache: [] as number[],
  cacheWithKey: [] as number[],
  lru: [] as number[],
  lruTtl: [] as number[],
  tier: [] as number[],
  leanHit: [] as number[],
  key: [] as number[],
  shopCall: [] as number[],
  lruAwait: [] as number[],
};
for (let r = 0; r < ROUNDS; r++) {
  rounds.lru.push(await nsPerOp(viaLru));
  rounds.lruTtl.push(await nsPerOp(viaLruTtl));
  rounds.tier.push(await nsPerOp(viaTier));
  rounds.leanHit.push(await nsPerOp(viaLeanHit));
  rounds.cache.push(await nsPerOp(viaCache));
  rounds.cacheWithKey.push(await nsPerOp(viaCacheWithKey));
  rounds.key.push(await nsPerOp(keyOnly));
  rounds.shopCall.push(await nsPerOp(shopCall));
  rounds.lruAwait.push(await nsPerOp(viaLruAwait));
}
const out = {
  iterations: ITERATIONS,
  rounds: ROUNDS,
  keys: KEYS,
  lruNs: median(rounds.lru),
  lruTtlNs: median(rounds.lruTtl),
  tierNs: median(rounds.tier),
  leanHitNs: median(rounds.leanHit),
  cacheNs: median(rounds.cache),
  cacheWithKeyNs: median(rounds.cacheWithKey),
  observer: NOOP ? 'noop' : 'metrics + hot keys',
  keyNs: median(rounds.key),
  shopCallNs: median(rounds.shopCall),
  lruAwaitNs: median(rounds.lruAwait),
  all: rounds,
  sink,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
