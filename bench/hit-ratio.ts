/**
 * L1 hit ratio, plain LRU against W-TinyLFU, at the same byte budget, on the real L1 tier
 * (src/cache/l1-memory-tier.ts, the shop's prefix policies): (a) a Zipf mix over the seeded
 * catalogue, (b) the same mix with a flood of one-off searches, (c) public traces (cache2k's
 * web07 and web12, product-page traffic of an online shop; bench/data/cache2k/ORIGIN.md).
 * Deterministic (seeded PRNG, fixed traces); hit ratios do not depend on machine speed.
 *
 *   npm run bench:hit-ratio    prints the tables and replaces its section of BENCHMARKS.md
 *   node --import tsx bench/hit-ratio.ts [--traces-only]    prints only
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { CacheEntry } from '../src/cache/cache-entry.ts';
import { L1MemoryTier, type L1Options } from '../src/cache/l1-memory-tier.ts';
import { PrefixRegistry } from '../src/cache/prefix-registry.ts';
import { noopObserver } from '../src/cache/types.ts';
import { shopCachePolicies } from '../src/shop/cache-policies.ts';
import { prng } from '../src/shop/seed.ts';

const MiB = 1024 * 1024;
/** JSON lengths giving the retained sizes measured by bench/l1-retained-bytes.ts (~0.95 kB product, ~12 kB page). */
const PRODUCT_JSON = 'p'.repeat(560);
const PAGE_JSON = 'c'.repeat(11_400);
const PRODUCTS = 5_000;
const CATALOG_KEYS = 8 * 4 * 10; // categories x sorts x pages
const HOT_PRODUCTS = 100;
const WARMUP = 50_000;
const MEASURED = 200_000;

interface Policy {
  name: string;
  l1: Pick<L1Options, 'admission' | 'prefixBudgets'>;
}
const POLICIES: Policy[] = [
  { name: 'LRU', l1: { admission: 'lru', prefixBudgets: false } },
  { name: 'LRU + shares', l1: { admission: 'lru', prefixBudgets: true } },
  { name: 'W-TinyLFU', l1: { admission: 'tinylfu', prefixBudgets: false } },
  { name: 'W-TinyLFU + shares (default)', l1: { admission: 'tinylfu', prefixBudgets: true } },
];

const far = Date.now() + 3_600_000;
const values = new Map<string, CacheEntry<unknown>>();
function entryFor(json: string): CacheEntry<unknown> {
  let e = values.get(json);
  if (!e) {
    e = {
      value: { json, etag: '"0123456789abcdefghijklmnopq"' },
      freshUntil: far,
      staleUntil: far,
      loadedAt: 0,
      tags: [],
      size: 0,
    };
    values.set(json, e);
  }
  return e;
}

function newTier(maxBytes: number, policy: Policy): L1MemoryTier {
  const registry = new PrefixRegistry(shopCachePolicies());
  return new L1MemoryTier({ maxEntries: 1_000_000, maxBytes, random: prng(7), ...policy.l1 }, registry, noopObserver);
}

/** One read as the cache does it: look up, and on a miss fill. */
function read(l1: L1MemoryTier, key: string, json: string): boolean {
  if (l1.get(key) !== undefined) return true;
  l1.set(key, entryFor(json), Date.now());
  return false;
}

function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1) ** s;
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

interface MixResult {
  all: number;
  hot: number;
  searches: number;
}

/** 85% product, 12% catalogue page, 3% category, each Zipf(0.9); with flood, one one-off search per read. */
function runMix(maxBytes: number, policy: Policy, flood: boolean): MixResult {
  const l1 = newTier(maxBytes, policy);
  const random = prng(20261125);
  const product = zipfSampler(PRODUCTS, 0.9, random);
  const page = zipfSampler(CATALOG_KEYS, 0.9, random);
  let reads = 0;
  let hits = 0;
  let hotReads = 0;
  let hotHits = 0;
  let searches = 0;
  for (let i = 0; i < WARMUP + MEASURED; i++) {
    const r = random();
    let hit: boolean;
    let hot = false;
    if (r < 0.85) {
      const id = product();
      hot = id < HOT_PRODUCTS;
      hit = read(l1, `product:${id + 1}`, PRODUCT_JSON);
    } else if (r < 0.97) hit = read(l1, `catalog:${page()}`, PAGE_JSON);
    else hit = read(l1, `category:${Math.floor(random() * 9)}`, PRODUCT_JSON);
    if (flood) {
      read(l1, `search:q${i}`, PAGE_JSON);
      if (i >= WARMUP) searches++;
    }
    if (i < WARMUP) continue;
    reads++;
    if (hit) hits++;
    if (hot) {
      hotReads++;
      if (hit) hotHits++;
    }
  }
  return { all: hits / reads, hot: hotHits / hotReads, searches };
}

function loadTrace(name: string): Int32Array {
  const raw = gunzipSync(readFileSync(new URL(`./data/cache2k/${name}.trace.gz`, import.meta.url)));
  const out = new Int32Array(raw.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = raw.readInt32BE(i * 4);
  return out;
}

/** Trace objects are product-page data: each read as a product-sized entry, so bytes = entries x size. */
function runTrace(trace: Int32Array, entries: number, policy: Policy): number {
  const probe = newTier(64 * MiB, policy);
  probe.set('product:1000000', entryFor(PRODUCT_JSON), Date.now());
  const size = probe.peek('product:1000000')?.size ?? 1_000;
  const l1 = newTier(entries * size, policy);
  let hits = 0;
  for (let i = 0; i < trace.length; i++) if (read(l1, `product:${trace[i]}`, PRODUCT_JSON)) hits++;
  return hits / trace.length;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function mixTables(): string {
  const budgets = [2 * MiB, 4 * MiB];
  const lines: string[] = [];
  lines.push(
    `**(a) Zipf mix** — 85% product reads (Zipf s=0.9 over ${PRODUCTS.toLocaleString('en')} products, ~0.95 kB each), 12% catalogue pages (Zipf over ${CATALOG_KEYS}, ~12 kB), 3% category; ${WARMUP.toLocaleString('en')} warm-up then ${MEASURED.toLocaleString('en')} measured reads. The whole working set is ~8.6 MB.`,
    '',
    '| L1 bytes | Policy | Hit ratio | Hot 100 products |',
    '| --- | --- | --- | --- |',
  );
  for (const b of budgets)
    for (const p of POLICIES) {
      const r = runMix(b, p, false);
      lines.push(`| ${b / MiB} MiB | ${p.name} | ${pct(r.all)} | ${pct(r.hot)} |`);
    }
  lines.push(
    '',
    '**(b) The same mix with a flood** — one one-off search (distinct key, ~12 kB page) after every read, so half of all lookups are searches never repeated. Hit ratio over the non-search reads.',
    '',
    '| L1 bytes | Policy | Hit ratio | Hot 100 products |',
    '| --- | --- | --- | --- |',
  );
  for (const b of budgets)
    for (const p of POLICIES) {
      const r = runMix(b, p, true);
      lines.push(`| ${b / MiB} MiB | ${p.name} | ${pct(r.all)} | ${pct(r.hot)} |`);
    }
  return lines.join('\n');
}

function traceTables(): string {
  const lines: string[] = [
    '**(c) Public traces** — cache2k `web07` and `web12` (product-detail-page traffic of an online shop, CC BY 4.0, see `bench/data/cache2k/ORIGIN.md`), every object read as a ~0.95 kB product entry; L1 bytes = capacity x entry size.',
    '',
    '| Trace (accesses / distinct) | Capacity (entries) | LRU | W-TinyLFU | Δ (points) |',
    '| --- | --- | --- | --- | --- |',
  ];
  const lru = POLICIES[0]!;
  const tiny = POLICIES[2]!;
  for (const name of ['web07', 'web12']) {
    const trace = loadTrace(name);
    const distinct = new Set(trace).size;
    for (const share of [0.025, 0.05, 0.1, 0.2]) {
      const entries = Math.round(distinct * share);
      const a = runTrace(trace, entries, lru);
      const b = runTrace(trace, entries, tiny);
      lines.push(
        `| ${name} (${trace.length.toLocaleString('en')} / ${distinct.toLocaleString('en')}) | ${entries.toLocaleString('en')} (${share * 100}% of distinct) | ${pct(a)} | ${pct(b)} | ${((b - a) * 100).toFixed(1)} |`,
      );
    }
  }
  return lines.join('\n');
}

const BEGIN = '<!-- hit-ratio:begin (written by npm run bench:hit-ratio -- --write) -->';
const END = '<!-- hit-ratio:end -->';

/** The BENCHMARKS.md section, markers included; bench/run.ts can call this and write it in place. */
export function hitRatioSection(options: { tracesOnly?: boolean } = {}): string {
  const started = Date.now();
  const body = [
    '### L1 hit ratio: LRU vs W-TinyLFU (`npm run bench:hit-ratio`)',
    '',
    'Simulated reads through the real L1 tier (`src/cache/l1-memory-tier.ts` with the shop prefix policies) at equal byte budgets; deterministic, so these figures do not vary with machine load. "Shares" are the per-prefix byte shares of `src/shop/cache-policies.ts` (search 20%, catalog 40%, category 10%, popular 5%). Window 10% of L1, count-min sketch of 4-bit counters (8 bytes per entry L1 can hold).',
    '',
    ...(options.tracesOnly ? [] : [mixTables(), '']),
    traceTables(),
  ].join('\n');
  return `${BEGIN}\n${body}\n\n_Simulation took ${((Date.now() - started) / 1000).toFixed(0)} s._\n${END}`;
}

/** Replaces the section between the markers in BENCHMARKS.md, or appends it. */
export function writeHitRatioSection(section: string): void {
  const path = new URL('../BENCHMARKS.md', import.meta.url);
  const doc = readFileSync(path, 'utf8');
  const from = doc.indexOf(BEGIN.slice(0, 22));
  const to = doc.indexOf(END);
  const next =
    from >= 0 && to > from
      ? doc.slice(0, from) + section + doc.slice(to + END.length)
      : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = hitRatioSection({ tracesOnly: process.argv.includes('--traces-only') });
  console.log(section);
  if (process.argv.includes('--write')) writeHitRatioSection(section);
}
