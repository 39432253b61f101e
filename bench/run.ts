/**
 * `npm run bench`: builds what `npm start` runs (dist/) and the bench-only servers (dist-bench/),
 * starts its own Redis Cluster, runs every section, writes BENCHMARKS.md and stops what it
 * started. Each server is its own process, each HTTP load its own autocannon process, on
 * loopback. Every figure is a ratio against a reference measured in the same run, because the
 * machine is shared and its absolute speed varies from minute to minute.
 *
 * Environment: BENCH_QUICK=1 (3 rounds of 2 s, no mix or memory sections: ~3 minutes),
 * BENCH_ROUNDS, BENCH_DURATION (seconds per HTTP run), BENCH_ONLY=http,core,peers,stampede,mix,memory
 * (a subset; the report then goes to BENCH_OUT or stdout, BENCHMARKS.md is left alone), BENCH_OUT.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type RedisClusterHandle, startRedisCluster } from '../src/redis-cluster/index.ts';
import { runConsoleCost } from './console-cost.ts';
import { hitRatioSection, writeHitRatioSection } from './hit-ratio.ts';
import { runHttpCases } from './http-cases.ts';
import { memorySection } from './memory-section.ts';
import { runPeers } from './peers/run-peers.ts';
import { postgresOriginSection, writePostgresOriginSection } from './postgres-origin.ts';
import {
  ADMIN_TOKEN,
  type BenchServer,
  buildAll,
  CONNECTIONS,
  clientCommands,
  delta,
  elapsedMinutes,
  fmt,
  log,
  PRODUCTS,
  pct,
  runClient,
  runNodeScript,
  scrape,
  sh,
  startService,
  sumWhere,
} from './processes.ts';
import type { MixOptions } from './workload.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const DURATION = Number(process.env.BENCH_DURATION ?? (QUICK ? 2 : 4));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 5));
const ALL = ['http', 'console', 'core', 'peers', 'stampede', 'mix', 'memory'];
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const sections = new Set(ONLY ?? (QUICK ? ALL.filter((s) => s !== 'mix' && s !== 'memory') : ALL));
const OUT = process.env.BENCH_OUT ?? (ONLY ? undefined : 'BENCHMARKS.md');

async function main(): Promise<void> {
  log('building dist/ (npm run build) and dist-bench/ (tsconfig.bench.json)');
  buildAll();
  const dir = mkdtempSync(join(tmpdir(), 'flower-shop-bench-'));
  const db = join(dir, 'shop.db');
  let cluster: RedisClusterHandle | undefined;
  const servers: BenchServer[] = [];
  const targets: string[] = [];
  const body: string[] = [];
  try {
    log('starting Redis Cluster (3 masters, 3 replicas)');
    cluster = await startRedisCluster({ log: (m) => log(m) });
    const redisEnv = { REDIS_CLUSTER_NODES: cluster.seedString, DATABASE_PATH: db };
    let bareRps = 0;

    if (sections.has('http')) {
      const http = await runHttpCases({ dir, redisEnv, rounds: ROUNDS, duration: DURATION, servers });
      targets.push(...http.targets);
      body.push(...http.rows);
      bareRps = http.bareRps;
      await Promise.all(servers.splice(0).map((s) => s.stop()));
    }

    if (sections.has('console'))
      await runConsoleCost({ env: redisEnv, rounds: ROUNDS, duration: DURATION, targets, body });
    if (sections.has('core')) {
      log('case 2: cache core');
      const core = runNodeScript('bench/cache-core.ts') as Record<string, number>;
      // The no-op observer in a process of its own (see bench/cache-core.ts): its own lru-cache reference.
      const noop = runNodeScript('bench/cache-core.ts', [], { CORE_OBSERVER: 'noop' }) as Record<string, number>;
      core.cacheNoMetricsNs = (noop.cacheNs! / noop.lruNs!) * core.lruNs!;
      const r = (k: string) => core[k]! / core.lruNs!;
      targets.push(
        `| cache core as the shop calls it (key built from its parts on every call, result awaited) ≤ 5x a raw lru-cache get | ${r('shopCallNs').toFixed(2)}x (${core.shopCallNs!.toFixed(1)} vs ${core.lruNs!.toFixed(1)} ns) | ${r('shopCallNs') <= 5 ? '**met**' : '**not met**'} |`,
        `| cache core, synchronous path with a prebuilt key ≤ 2x a raw lru-cache get | ${r('cacheNs').toFixed(2)}x (${core.cacheNs!.toFixed(1)} vs ${core.lruNs!.toFixed(1)} ns) | ${r('cacheNs') <= 2 ? '**met**' : '**not met**'} |`,
      );
      body.push(
        '### 2. Cache core (in-process, one L1 hit)',
        '',
        `${fmt(core.iterations!)} gets per round over 4,096 keys, ${core.rounds} rounds after a warm-up, median; each round runs every line once, interleaved.`,
        '',
        '| Operation | ns per get | vs raw lru-cache |',
        '| --- | ---: | ---: |',
        `| raw \`lru-cache\` get (max only), prebuilt string key | ${core.lruNs!.toFixed(1)} | 1.00x |`,
        `| \`lru-cache\` get, same options as L1 (per-entry TTL, size) | ${core.lruTtlNs!.toFixed(1)} | ${r('lruTtlNs').toFixed(2)}x |`,
        `| L1 tier's own get (\`L1MemoryTier.get\`: W-TinyLFU on lru-cache, the sketch's access record included) | ${core.tierNs!.toFixed(1)} | ${r('tierNs').toFixed(2)}x |`,
        `| the least a hit through that tier must do (its get, freshness, tag stamps, one counter, the result; inline in the bench) | ${core.leanHitNs!.toFixed(1)} | ${r('leanHitNs').toFixed(2)}x |`,
        `| \`cache.key('product', id)\` alone (building the key from its parts) | ${core.keyNs!.toFixed(1)} | ${r('keyNs').toFixed(2)}x |`,
        `| \`cache.get(key, loader)\`, prebuilt key, synchronous result | ${core.cacheNs!.toFixed(1)} | ${r('cacheNs').toFixed(2)}x |`,
        `| same, no-op observer instead of CacheMetrics (own process; ns scaled by its own lru-cache reference) | ${core.cacheNoMetricsNs!.toFixed(1)} | ${r('cacheNoMetricsNs').toFixed(2)}x |`,
        `| \`cache.get(cache.key('product', id), loader)\`, synchronous result | ${core.cacheWithKeyNs!.toFixed(1)} | ${r('cacheWithKeyNs').toFixed(2)}x |`,
        `| as the shop calls it: \`await catalog.product(id)\` path (key from parts, result awaited) | ${core.shopCallNs!.toFixed(1)} | ${r('shopCallNs').toFixed(2)}x |`,
        `| raw \`lru-cache\` get, result awaited (what \`await\` alone costs) | ${core.lruAwaitNs!.toFixed(1)} | ${r('lruAwaitNs').toFixed(2)}x |`,
        '',
      );
    }

    if (sections.has('peers')) {
      log('case 3: peers');
      const peers = await runPeers({ cluster, quick: QUICK });
      targets.push(...peers.targets);
      body.push(...peers.rows);
    }

    if (sections.has('stampede')) {
      log('case 4: stampede');
      const stampedeDb = join(dir, 'stampede.db');
      const runs: { name: string; result: Awaited<ReturnType<typeof runStampede>> }[] = [];
      const ns = 'bstampede';
      const env = { REDIS_CLUSTER_NODES: cluster.seedString, DATABASE_PATH: stampedeDb, CACHE_NAMESPACE: ns };
      const a = await startService('stampede-a', env);
      servers.push(a);
      const b = await startService('stampede-b', env);
      servers.push(b);
      runs.push({
        name: 'new connections',
        result: await runStampede([a, b], '/api/products?limit=24&category=tulips&sort=newest', 'catalog'),
      });
      runs.push({
        name: 'kept-alive connections',
        result: await runStampede([a, b], '/api/products?limit=24&category=peonies&sort=newest', 'catalog'),
      });
      await Promise.all(servers.splice(0).map((s) => s.stop()));
      targets.push(
        `| cold key across two processes loads once (2 × 1,000 concurrent requests) | ${runs.map((r) => `${r.result.loads} (${r.name})`).join(', ')} | ${runs.every((r) => r.result.loads === 1) ? '**met**' : '**not met**'} |`,
      );
      body.push(
        '### 4. Stampede',
        '',
        'Two `npm start` processes (defaults) sharing one SQLite file, one cluster and one namespace; 1,000 concurrent GETs of a cold catalogue page sent to each at once from the bench process (`fetch`): first on new connections, then on the kept-alive ones with another cold key.',
        '',
        '| Run | loader calls (both) | coalesced | L2 errors | answers | bodies identical | p50 ms | p99 ms | max ms |',
        '| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |',
        ...runs.map(
          ({ name, result: s }) =>
            `| ${name} \`${s.path}\` | **${s.loads}** | ${fmt(s.coalesced)} | ${fmt(s.l2Errors)} | ${Object.entries(
              s.statuses,
            )
              .map(([k, v]) => `${k}: ${v}`)
              .join(', ')} | ${s.identical} | ${fmt(s.p50, 1)} | ${fmt(s.p99, 1)} | ${fmt(s.max, 1)} |`,
        ),
        '',
      );
    }

    if (sections.has('mix')) {
      log('case 5: realistic mix');
      const mixRows: string[] = [];
      const mixDuration = Math.max(DURATION, 8);
      for (const share of [0.01, 0.1, 1]) {
        const entries = Math.round(PRODUCTS * share);
        const s = await startService(`mix-${entries}`, {
          ...redisEnv,
          LOG_LEVEL: 'warn',
          CACHE_NAMESPACE: `bmix${entries}`,
          CACHE_L1_MAX_ENTRIES: String(entries),
        });
        servers.push(s);
        const mix: MixOptions = { products: PRODUCTS, zipf: 1, writeRatio: 0.01, adminToken: ADMIN_TOKEN, seed: 7 };
        await runClient({ url: s.url, duration: 3, mix: { ...mix, seed: 1 } });
        const before = await scrape(s.url);
        const r = await runClient({ url: s.url, duration: mixDuration, mix });
        const d = delta(await scrape(s.url), before);
        const tierHits = (tier: string) =>
          sumWhere(d, 'cache_requests_total', `tier="${tier}"`, 'result="hit"') +
          sumWhere(d, 'cache_requests_total', `tier="${tier}"`, 'result="stale"');
        const l1All = sumWhere(d, 'cache_requests_total', 'tier="l1"');
        const l2All = sumWhere(d, 'cache_requests_total', 'tier="l2"');
        const loads = sumWhere(d, 'cache_loads_total');
        mixRows.push(
          `| ${fmt(entries)} (${pct(share)}) | ${fmt(r.rps)} | ${bareRps ? pct(r.rps / bareRps) : '–'} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${pct(tierHits('l1') / Math.max(1, l1All))} | ${pct(tierHits('l2') / Math.max(1, l2All))} | ${pct(1 - loads / Math.max(1, l1All))} | ${fmt(loads)} | ${fmt(r.non2xx)} / ${fmt(r.errors)} |`,
        );
        log(`  L1 ${entries}: ${fmt(r.rps)} req/s`);
        await Promise.all(servers.splice(0).map((x) => x.stop()));
      }
      body.push(
        `### 5. Realistic mix (Zipf s=1 over ${fmt(PRODUCTS)} products, 1% writes)`,
        '',
        `Reads: 70% products, 14% catalogue pages, 10% searches, 5% best sellers; writes: half admin price changes, half orders. ${mixDuration} s measured after a 3 s warm-up, ${CONNECTIONS} connections, \`npm start\` with LOG_LEVEL=warn, a fresh namespace per size. Hit ratios from /metrics deltas. "vs bare" against the standalone bare app of section 1.`,
        '',
        '| L1 entries | req/s | vs bare | p50 ms | p99 ms | L1 hit ratio | L2 hit ratio (of L1 misses) | served from cache | loader calls | non-2xx / errors |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...mixRows,
        '',
        'non-2xx in the mix are orders refused for lack of stock (409) as Zipf keeps ordering the same products.',
        '',
      );
    }

    if (sections.has('memory')) {
      log('case 6: memory');
      const memory = memorySection();
      targets.push(...memory.targets);
      body.push(...memory.body);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const report = [
    '## Results of the last `npm run bench`',
    '',
    `Run on ${new Date().toISOString()}, ${elapsedMinutes().toFixed(1)} minutes end to end${QUICK ? ' (BENCH_QUICK=1)' : ''}; sections: ${[...sections].join(', ')}.`,
    '',
    '### Machine',
    '',
    `- CPUs: ${sh('nproc')} (\`nproc\`), ${cpus()[0]?.model ?? 'unknown'}; memory ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- Node ${process.version}, ${sh('redis-server --version')}, ${sh('uname -sr')}`,
    `- load average at the end: ${sh('cut -d" " -f1-3 /proc/loadavg')}`,
    '- Shared and noisy: the servers, the autocannon processes and Redis (6 nodes) compete for the same 2 cores, and other work runs on the host. Absolute req/s move by tens of percent between runs; only the interleaved per-round ratios are worth comparing, and a difference under ~10% is unresolved.',
    '',
    '### Targets',
    '',
    '| Target | Figure | Verdict |',
    '| --- | --- | --- |',
    ...targets,
    '',
    ...body,
    '### Commands',
    '',
    '```',
    'npm run bench                   # full run, ~15 minutes (the PostgreSQL origin section ~7 of them)',
    'BENCH_QUICK=1 npm run bench     # 3 rounds of 2 s, no mix/memory',
    'BENCH_ONLY=http npm run bench   # one section; prints the report instead of writing BENCHMARKS.md',
    'node --enable-source-maps --import ./dist/observability/tracing-bootstrap.js dist/main.js   # every service case (npm start)',
    'node dist-bench/bench/bare-server.js    # the standalone reference (PORT, BENCH_BARE_BODY_FILE)',
    'node dist-bench/bench/server.js         # in-app bare route + uncached references',
    ...clientCommands,
    'node --import tsx bench/cache-core.ts           # CORE_OBSERVER=noop: the no-op observer line',
    'node --import tsx bench/l2-read-layers.ts       # CPU per L2 hit per layer, the Redis clients alone included (not in npm run bench)',
    "node --import tsx bench/tracing-breakdown.ts    # tracing cost split by what pays it, on this Node.js and the production image's (not in npm run bench)",
    "node --import tsx bench/access-log-cost.ts      # the access log's cost by where its lines go: pipe, file, /dev/null (not in npm run bench)",
    'node --import tsx bench/peers/peer-client.ts   # one peer library, one scenario (spawned by run-peers.ts)',
    "HEAP_GROWING_PERCENT=50 node --expose-gc --import tsx bench/memory.ts   # and =0 (V8's own heap growth)",
    '```',
    '',
  ].join('\n');
  if (OUT) {
    writeResults(report);
    log(`wrote ${OUT}`);
  } else process.stdout.write(`${report}\n`);
  // The L1 policy's hit ratios (LRU vs W-TinyLFU, in-process and deterministic) have their own section.
  if (OUT === 'BENCHMARKS.md') {
    log('hit ratios: LRU vs W-TinyLFU (bench/hit-ratio.ts)');
    writeHitRatioSection(hitRatioSection());
  }
  if (OUT === 'BENCHMARKS.md') writePostgresOriginSection(await postgresOriginSection());
}

async function runStampede(instances: BenchServer[], path: string, prefix: string) {
  const perInstance = 1_000;
  const before = await Promise.all(instances.map((s) => scrape(s.url)));
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  const bodies = new Set<string>();
  await Promise.all(
    instances.flatMap((s) =>
      Array.from({ length: perInstance }, async () => {
        const t0 = performance.now();
        try {
          const res = await fetch(s.url + path);
          const body = await res.text();
          times.push(performance.now() - t0);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          bodies.add(body);
        } catch {
          // A connection refused or reset by a crowded host is a figure of the run, not the end of the bench.
          statuses['connection error'] = (statuses['connection error'] ?? 0) + 1;
        }
      }),
    ),
  );
  const after = await Promise.all(instances.map((s) => scrape(s.url)));
  let loads = 0;
  let coalesced = 0;
  let l2Errors = 0;
  instances.forEach((_, i) => {
    const d = delta(after[i]!, before[i]!);
    loads += sumWhere(d, 'cache_loads_total', `prefix="${prefix}"`);
    coalesced += sumWhere(d, 'cache_coalesced_requests_total', `prefix="${prefix}"`);
    l2Errors += sumWhere(d, 'cache_l2_errors_total');
  });
  times.sort((x, y) => x - y);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return {
    path,
    perInstance,
    loads,
    coalesced,
    l2Errors,
    statuses,
    identical: bodies.size === 1,
    p50: q(0.5),
    p99: q(0.99),
    max: times[times.length - 1]!,
  };
}

/** BENCHMARKS.md keeps its hand-written part (above the marker) and gets the generated results below it. */
function writeResults(results: string): void {
  const out = OUT ?? 'BENCHMARKS.md';
  const marker = '<!-- results: generated by npm run bench; everything below is replaced -->';
  let head = '# Benchmarks\n\n';
  if (existsSync(out)) {
    const current = readFileSync(out, 'utf8');
    const i = current.indexOf(marker);
    if (i >= 0) head = current.slice(0, i);
  }
  writeFileSync(out, `${head}${marker}\n\n${results}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
