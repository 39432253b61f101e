/**
 * `npm run bench`: starts its own Redis Cluster, runs every case, writes BENCHMARKS.md and
 * stops what it started. Each server is its own process (bench/server.ts), each HTTP load its
 * own autocannon process (bench/client.ts), on loopback. Every figure is reported as a ratio
 * against a reference measured in the same run, because the machine is shared and its absolute
 * speed varies from minute to minute.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type RedisClusterHandle, startRedisCluster } from '../src/redis-cluster/index.ts';
import type { ClientResult } from './client.ts';
import type { MixOptions } from './workload.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = 50;
const PRODUCTS = 5_000;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const OUT = process.env.BENCH_OUT ?? 'BENCHMARKS.md';
const started = Date.now();
const log = (m: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1e3).toFixed(0)}s] ${m}\n`);

interface BenchServer {
  name: string;
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function startServer(
  name: string,
  env: Record<string, string>,
  options: { tracing?: boolean } = {},
): Promise<BenchServer> {
  const args = [
    '--import',
    'tsx',
    ...(options.tracing ? ['--import', './src/observability/tracing-bootstrap.ts'] : []),
    'bench/server.ts',
  ];
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ADMIN_TOKEN, SEED_PRODUCTS: String(PRODUCTS), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server ${name} did not start in 60 s`)), 60_000);
    proc.once('exit', (code) => reject(new Error(`server ${name} exited with ${code} before it was ready`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = /^READY (\d+)$/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        name,
        url: `http://127.0.0.1:${m[1]}`,
        proc,
        stop: () =>
          new Promise<void>((done) => {
            if (proc.exitCode !== null) return done();
            proc.once('exit', () => done());
            proc.kill('SIGTERM');
            setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
          }),
      });
    });
  });
}

const clientCommands = new Set<string>();
function runClient(spec: {
  url: string;
  duration: number;
  connections?: number;
  path?: string;
  mix?: MixOptions;
}): Promise<ClientResult> {
  const arg = JSON.stringify({ connections: CONNECTIONS, ...spec });
  clientCommands.add(
    spec.mix
      ? `node --import tsx bench/client.ts '{"url":…,"connections":${CONNECTIONS},"duration":…,"mix":{…}}'`
      : `node --import tsx bench/client.ts '{"url":…,"connections":${CONNECTIONS},"duration":${spec.duration},"path":…}'`,
  );
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/client.ts', arg], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(proc);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', (code) => {
      children.delete(proc);
      if (code !== 0) return reject(new Error(`client exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as ClientResult);
    });
  });
}

function runNodeScript(script: string, flags: string[] = []): Record<string, unknown> {
  const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 180_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** `name{labels} value` lines of the Prometheus text format, summed by name and the chosen labels. */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}
function sumWhere(m: Map<string, number>, name: string, ...labels: string[]): number {
  let total = 0;
  for (const [k, v] of m) if (k.startsWith(`${name}{`) && labels.every((l) => k.includes(l))) total += v;
  return total;
}
function delta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
function sh(cmd: string): string {
  try {
    return execFileSync('bash', ['-c', cmd], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Something that answers 200 to every OTLP export, so tracing runs its whole export path and nothing else. */
function startOtlpSink(): Promise<{ server: Server; url: string; requests: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => n }),
    ),
  );
}

interface Case {
  label: string;
  server: BenchServer;
  path: string;
  results: ClientResult[];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flower-shop-bench-'));
  const db = join(dir, 'shop.db');
  let cluster: RedisClusterHandle | undefined;
  const servers: BenchServer[] = [];
  let sink: Awaited<ReturnType<typeof startOtlpSink>> | undefined;
  const report: string[] = [];
  try {
    log('starting Redis Cluster (3 masters, 3 replicas)');
    cluster = await startRedisCluster({ log: (m) => log(m) });
    const redisEnv = { REDIS_CLUSTER_NODES: cluster.seedString, DATABASE_PATH: db };
    sink = await startOtlpSink();

    // The first server seeds the shared SQLite file; the others open it seeded.
    const main = await startServer('main', { ...redisEnv, CACHE_NAMESPACE: 'bmain' });
    servers.push(main);
    log(`main server at ${main.url}`);
    const [noMetrics, traced, l2Only] = await Promise.all([
      startServer('no-metrics', { ...redisEnv, CACHE_NAMESPACE: 'bnometrics', BENCH_METRICS: 'false' }),
      startServer(
        'tracing',
        {
          ...redisEnv,
          CACHE_NAMESPACE: 'btracing',
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        },
        { tracing: true },
      ),
      startServer('l2-only', { ...redisEnv, CACHE_NAMESPACE: 'bl2', CACHE_L1_ENABLED: 'false' }),
    ]);
    servers.push(noMetrics, traced, l2Only);

    // ---- Case 1: HTTP ----
    const product = '/api/products/42';
    const catalogue = '/api/products?limit=24&category=roses&sort=price_asc';
    const search = '/api/products?q=rose&limit=24';
    const popular = '/api/products/popular?limit=10';
    const paired: Case[] = [
      { label: 'bare route (reference)', server: main, path: '/bench/bare', results: [] },
      { label: 'product, L1 hit', server: main, path: product, results: [] },
      { label: 'product, L1 hit, metrics off', server: noMetrics, path: product, results: [] },
      { label: 'bare route, metrics off', server: noMetrics, path: '/bench/bare', results: [] },
      { label: 'product, L1 hit, tracing on (10% sampled)', server: traced, path: product, results: [] },
      { label: 'product, L2 hit (L1 disabled)', server: l2Only, path: product, results: [] },
    ];
    const once: Case[] = [
      {
        label: 'product, uncached (repository + serialize)',
        server: main,
        path: '/bench/uncached/products/42',
        results: [],
      },
      { label: 'catalogue page (24), L1 hit', server: main, path: catalogue, results: [] },
      {
        label: 'catalogue page (24), uncached',
        server: main,
        path: `/bench/uncached/products?limit=24&category=roses&sort=price_asc`,
        results: [],
      },
      { label: 'search, L1 hit', server: main, path: search, results: [] },
      { label: 'search, uncached', server: main, path: '/bench/uncached/products?q=rose&limit=24', results: [] },
      { label: 'best sellers, L1 hit', server: main, path: popular, results: [] },
      { label: 'best sellers, uncached', server: main, path: '/bench/uncached/popular?limit=10', results: [] },
    ];
    // Warm-up: JIT, connections, and the cached routes filled.
    for (const c of [...paired, ...once]) {
      const res = await fetch(c.server.url + c.path);
      if (res.status !== 200) throw new Error(`${c.label}: ${c.path} answered ${res.status}`);
      await res.arrayBuffer();
      await runClient({ url: c.server.url, path: c.path, duration: 1 });
    }
    log('case 1: HTTP');
    for (let r = 0; r < ROUNDS; r++) {
      for (const c of paired) c.results.push(await runClient({ url: c.server.url, path: c.path, duration: DURATION }));
      log(
        `  round ${r + 1}/${ROUNDS}: bare ${fmt(paired[0]!.results[r]!.rps)} req/s, L1 ${fmt(paired[1]!.results[r]!.rps)} req/s`,
      );
    }
    for (const c of once) c.results.push(await runClient({ url: c.server.url, path: c.path, duration: DURATION }));
    const exports = sink.requests();
    const rps = (c: Case) => median(c.results.map((x) => x.rps));
    const p50 = (c: Case) => median(c.results.map((x) => x.p50));
    const p99 = (c: Case) => median(c.results.map((x) => x.p99));
    const bad = (c: Case) => c.results.reduce((s, x) => s + x.non2xx + x.errors, 0);
    const [bare, l1, l1NoMetrics, bareNoMetrics, l1Traced, l2] = paired as [Case, Case, Case, Case, Case, Case];
    const [uncachedProduct, catL1, catUncached, searchL1, searchUncached, popL1, popUncached] = once as [
      Case,
      Case,
      Case,
      Case,
      Case,
      Case,
      Case,
    ];
    // Ratios are taken round by round between runs made seconds apart, then the median: the
    // host's load drifts over minutes, and a pair measured close together shares most of it.
    const ratio = (x: Case, ref: Case) => median(x.results.map((r, i) => r.rps / ref.results[i]!.rps));
    const metricsCost = 1 - ratio(l1, l1NoMetrics);
    const metricsCostBare = 1 - ratio(bare, bareNoMetrics);
    const tracingCost = 1 - ratio(l1Traced, l1);

    // ---- Case 2: cache core, in-process ----
    log('case 2: cache core');
    const core = runNodeScript('bench/cache-core.ts') as {
      lruNs: number;
      lruTtlNs: number;
      cacheNs: number;
      cacheWithKeyNs: number;
      cacheNoMetricsNs: number;
      iterations: number;
      rounds: number;
    };

    // ---- Case 3: stampede ----
    log('case 3: stampede');
    const stampedeDb = join(dir, 'stampede.db');
    const stampedeRuns: { name: string; result: Awaited<ReturnType<typeof runStampede>> }[] = [];
    for (const [variant, env] of [
      ['default CACHE_L2_TIMEOUT_MS (100 ms)', {}],
      [
        'CACHE_L2_TIMEOUT_MS=1000, CACHE_LOCK_WAIT_MS=5000',
        { CACHE_L2_TIMEOUT_MS: '1000', CACHE_LOCK_WAIT_MS: '5000' },
      ],
    ] as const) {
      const ns = `bstampede${stampedeRuns.length}`;
      const a = await startServer('stampede-a', {
        REDIS_CLUSTER_NODES: cluster.seedString,
        DATABASE_PATH: stampedeDb,
        CACHE_NAMESPACE: ns,
        ...env,
      });
      servers.push(a);
      const b = await startServer('stampede-b', {
        REDIS_CLUSTER_NODES: cluster.seedString,
        DATABASE_PATH: stampedeDb,
        CACHE_NAMESPACE: ns,
        ...env,
      });
      servers.push(b);
      // First with new connections (2,000 accepted at once), then again on the kept-alive ones with another cold key.
      stampedeRuns.push({
        name: `${variant}, new connections`,
        result: await runStampede([a, b], '/api/products?limit=24&category=tulips&sort=newest', 'catalog'),
      });
      stampedeRuns.push({
        name: `${variant}, kept-alive connections`,
        result: await runStampede([a, b], '/api/products?limit=24&category=peonies&sort=newest', 'catalog'),
      });
      await Promise.all([a.stop(), b.stop()]);
    }
    const stampede = stampedeRuns[0]!.result;
    const stampedeWarm = stampedeRuns[1]!.result;

    // ---- Case 4: realistic mix ----
    log('case 4: realistic mix');
    const mixRows: string[] = [];
    const mixDuration = Math.max(DURATION, 8);
    for (const share of [0.01, 0.1, 1]) {
      const entries = Math.round(PRODUCTS * share);
      const s = await startServer(`mix-${entries}`, {
        ...redisEnv,
        CACHE_NAMESPACE: `bmix${entries}`,
        CACHE_L1_MAX_ENTRIES: String(entries),
      });
      servers.push(s);
      const mix: MixOptions = { products: PRODUCTS, zipf: 1, writeRatio: 0.01, adminToken: ADMIN_TOKEN, seed: 7 };
      await runClient({ url: s.url, duration: 3, mix: { ...mix, seed: 1 } });
      const before = await scrape(s.url);
      const r = await runClient({ url: s.url, duration: mixDuration, mix });
      const d = delta(await scrape(s.url), before);
      const l1Hit =
        sumWhere(d, 'cache_requests_total', 'tier="l1"', 'result="hit"') +
        sumWhere(d, 'cache_requests_total', 'tier="l1"', 'result="stale"');
      const l1All = sumWhere(d, 'cache_requests_total', 'tier="l1"');
      const l2Hit =
        sumWhere(d, 'cache_requests_total', 'tier="l2"', 'result="hit"') +
        sumWhere(d, 'cache_requests_total', 'tier="l2"', 'result="stale"');
      const l2All = sumWhere(d, 'cache_requests_total', 'tier="l2"');
      const loads = sumWhere(d, 'cache_loads_total');
      mixRows.push(
        `| ${fmt(entries)} (${pct(share)}) | ${fmt(r.rps)} | ${pct(r.rps / rps(bare))} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${pct(l1Hit / Math.max(1, l1All))} | ${pct(l2Hit / Math.max(1, l2All))} | ${pct(1 - loads / Math.max(1, l1All))} | ${fmt(loads)} | ${fmt(r.non2xx)} / ${fmt(r.errors)} |`,
      );
      log(`  L1 ${entries}: ${fmt(r.rps)} req/s, L1 hit ${pct(l1Hit / Math.max(1, l1All))}`);
      await s.stop();
    }

    // ---- Case 5: memory ----
    log('case 5: memory');
    const mem = runNodeScript('bench/memory.ts', ['--expose-gc']) as {
      keys: number;
      boundBytes: number;
      maxAccountedBytes: number;
      cacheSizeBytesMetric: number;
      entries: number;
      heapGrowthAfterGc: number;
      heapToAccounted: number;
      heapUsedSecondHalf: { min: number; max: number };
      rssSecondHalf: { min: number; max: number };
      seconds: number;
      preallocated: { maxEntries: number; heapBytes: number };
    };

    // ---- Report ----
    const mib = (x: number) => `${(x / 1024 / 1024).toFixed(1)} MiB`;
    const httpRow = (c: Case, ref: Case, note = '') =>
      `| ${c.label} | \`${c.path}\` | ${fmt(rps(c))} | ${pct(c.results.length === ref.results.length ? ratio(c, ref) : rps(c) / rps(ref))} | ${fmt(p50(c), 1)} | ${fmt(p99(c), 1)} | ${c.results.length} | ${bad(c)} | ${note} |`;
    const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
    const l1Ratio = ratio(l1, bare);
    const l2Ratio = ratio(l2, bare);
    const coreRatio = core.cacheNs / core.lruNs;
    const within = mem.maxAccountedBytes <= mem.boundBytes && mem.cacheSizeBytesMetric <= mem.boundBytes;

    report.push(
      '## Results of the last `npm run bench`',
      '',
      `Run on ${new Date().toISOString()}, ${((Date.now() - started) / 60_000).toFixed(1)} minutes end to end.`,
      '',
      '### Machine',
      '',
      `- CPUs: ${sh('nproc')} (\`nproc\`), ${cpus()[0]?.model ?? 'unknown'}`,
      `- Memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
      `- Node ${process.version}, ${sh('redis-server --version')}`,
      `- OS: ${sh('uname -sr')}`,
      '- Shared and noisy: the servers, the autocannon processes and Redis (6 nodes) all compete for the same 2 cores, and other work may run on the host. Absolute req/s move by tens of percent between runs; the ratios below compare cases measured minutes apart in the same run, and the A/B pairs are interleaved over rounds with the median kept.',
      '',
      '### Targets',
      '',
      '| Target | Figure | Status |',
      '| --- | --- | --- |',
      `| L1 hit ≥ 90% of bare req/s | ${pct(l1Ratio)} | ${met(l1Ratio >= 0.9)} |`,
      `| L2 hit ≥ 60% of bare req/s | ${pct(l2Ratio)} | ${met(l2Ratio >= 0.6)} |`,
      `| metrics cost < 3% (L1 hit, metrics on vs off) | ${pct(metricsCost)} (bare route: ${pct(metricsCostBare)}) | ${met(metricsCost < 0.03)} |`,
      `| tracing cost stated (L1 hit, OTLP on at 10% sampling vs off) | ${pct(tracingCost)} (${exports} OTLP exports received) | stated |`,
      `| cached several times faster than uncached where the query is expensive | catalogue ${(rps(catL1) / rps(catUncached)).toFixed(2)}x, search ${(rps(searchL1) / rps(searchUncached)).toFixed(2)}x, best sellers ${(rps(popL1) / rps(popUncached)).toFixed(2)}x (product by id, a primary-key read, ${(rps(l1) / rps(uncachedProduct)).toFixed(2)}x) | ${met(rps(catL1) / rps(catUncached) >= 3 && rps(searchL1) / rps(searchUncached) >= 3 && rps(popL1) / rps(popUncached) >= 3)} (≥ 3x on all three) |`,
      `| cache core L1 hit < 2x raw lru-cache get | ${coreRatio.toFixed(2)}x (${core.cacheNs.toFixed(1)} vs ${core.lruNs.toFixed(1)} ns; vs an lru-cache with the same TTL options: ${(core.cacheNs / core.lruTtlNs).toFixed(2)}x) | ${met(coreRatio < 2)} |`,
      `| stampede: 1 loader call for 2 × 1,000 concurrent requests on one cold key | default config: ${stampede.loads} (new connections), ${stampedeWarm.loads} (kept-alive); CACHE_L2_TIMEOUT_MS=1000 + CACHE_LOCK_WAIT_MS=5000: ${stampedeRuns[2]!.result.loads}, ${stampedeRuns[3]!.result.loads} | ${met(stampede.loads === 1 && stampedeWarm.loads === 1)} with defaults |`,
      `| L1 bytes ≤ bound (within 10%) | max ${mib(mem.maxAccountedBytes)} of ${mib(mem.boundBytes)} | ${met(within)} |`,
      '',
      `### 1. HTTP (autocannon, ${CONNECTIONS} connections, ${DURATION} s per run, loopback)`,
      '',
      `Paired cases: ${ROUNDS} interleaved rounds; req/s and latency are medians over rounds, "vs bare" is the median of the per-round ratios (each against the bare route on the metrics-on server, measured seconds apart). Cases run once are against the median bare req/s. Latency in ms (autocannon's resolution is 1 ms).`,
      '',
      '| Case | Path | req/s | vs bare | p50 ms | p99 ms | runs | non-2xx+errors | |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      httpRow(bare, bare),
      httpRow(l1, bare),
      httpRow(l2, bare, 'every GET a Redis round trip'),
      httpRow(l1NoMetrics, bare, `metrics cost ${pct(metricsCost)}`),
      httpRow(bareNoMetrics, bare),
      httpRow(l1Traced, bare, `tracing cost ${pct(tracingCost)} vs L1 hit`),
      httpRow(uncachedProduct, bare),
      httpRow(catL1, bare),
      httpRow(catUncached, bare, `cached ${(rps(catL1) / rps(catUncached)).toFixed(1)}x`),
      httpRow(searchL1, bare),
      httpRow(searchUncached, bare, `cached ${(rps(searchL1) / rps(searchUncached)).toFixed(1)}x`),
      httpRow(popL1, bare),
      httpRow(popUncached, bare, `cached ${(rps(popL1) / rps(popUncached)).toFixed(1)}x`),
      '',
      'Per-round req/s of the paired cases: ' +
        paired.map((c) => `${c.label}: ${c.results.map((x) => fmt(x.rps)).join(' / ')}`).join('; ') +
        '.',
      '',
      '### 2. Cache core (in-process, one L1 hit)',
      '',
      `${fmt(core.iterations)} gets per round over 4,096 keys, ${core.rounds} rounds after a warm-up, median.`,
      '',
      '| Operation | ns per get | vs raw lru-cache |',
      '| --- | ---: | ---: |',
      `| raw \`lru-cache\` get (max only) | ${core.lruNs.toFixed(1)} | 1.00x |`,
      `| \`lru-cache\` get, same options as L1 (per-entry TTL, size) | ${core.lruTtlNs.toFixed(1)} | ${(core.lruTtlNs / core.lruNs).toFixed(2)}x |`,
      `| \`cache.get(key, loader)\`, key built once | ${core.cacheNs.toFixed(1)} | ${coreRatio.toFixed(2)}x |`,
      `| \`cache.get(key, loader)\`, no-op observer instead of CacheMetrics | ${core.cacheNoMetricsNs.toFixed(1)} | ${(core.cacheNoMetricsNs / core.lruNs).toFixed(2)}x |`,
      `| \`cache.get(cache.key('product', id), loader)\` | ${core.cacheWithKeyNs.toFixed(1)} | ${(core.cacheWithKeyNs / core.lruNs).toFixed(2)}x |`,
      '',
      '### 3. Stampede',
      '',
      `Two server processes sharing one SQLite file, one cluster and one namespace; ${fmt(stampede.perInstance)} concurrent GETs of a cold catalogue page sent to each at once, from the bench process (\`fetch\`): first on new connections, then on the kept-alive ones with another cold key (\`category=peonies\`).`,
      '',
      '| Run | loader calls (cache_loads_total, both) | coalesced | L2 errors | answers | bodies identical | p50 ms | p99 ms | max ms |',
      '| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |',
      ...stampedeRuns.map(
        ({ name, result: s }) =>
          `| ${name} \`${s.path}\` | **${s.loads}** | ${fmt(s.coalesced)} | ${fmt(s.l2Errors)} | ${Object.entries(
            s.statuses,
          )
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')} | ${s.identical} | ${fmt(s.p50, 1)} | ${fmt(s.p99, 1)} | ${fmt(s.max, 1)} |`,
      ),
      '',
      `### 4. Realistic mix (Zipf s=1 over ${fmt(PRODUCTS)} products, 1% writes)`,
      '',
      `Reads: 70% products, 14% catalogue pages, 10% searches, 5% best sellers; writes: half admin price changes, half orders. ${mixDuration} s measured after a 3 s warm-up, ${CONNECTIONS} connections, a fresh namespace per size (L2 starts cold too). Hit ratios from /metrics deltas over the measured window. L1 size is CACHE_L1_MAX_ENTRIES (all prefixes share it).`,
      '',
      '| L1 entries | req/s | vs bare | p50 ms | p99 ms | L1 hit ratio | L2 hit ratio (of L1 misses) | served from cache | loader calls | non-2xx / errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...mixRows,
      '',
      'non-2xx in the mix are orders refused for lack of stock (409) as Zipf keeps ordering the same products.',
      '',
      '### 5. L1 memory',
      '',
      `${fmt(mem.keys)} distinct product keys (~450-byte JSON each) through \`cache.get\` (L1 only, as a miss fills it), CACHE_L1_MAX_BYTES = ${mib(mem.boundBytes)}, CACHE_L1_MAX_ENTRIES = 50,000 (the default), ${mem.seconds.toFixed(1)} s.`,
      '',
      `- accounted bytes (cache_size_bytes): max ${mib(mem.maxAccountedBytes)}, at the end ${mib(mem.cacheSizeBytesMetric)} for ${fmt(mem.entries)} entries: never above the bound`,
      `- heap growth after a full GC: ${mib(mem.heapGrowthAfterGc)} = **${mem.heapToAccounted.toFixed(2)}x** the accounted bytes`,
      `- heap used over the second half of the run: ${mib(mem.heapUsedSecondHalf.min)} – ${mib(mem.heapUsedSecondHalf.max)} (garbage between collections, no upward trend); RSS ${mib(mem.rssSecondHalf.min)} – ${mib(mem.rssSecondHalf.max)}`,
      `- lru-cache allocates its index arrays for CACHE_L1_MAX_ENTRIES up front: an empty L1 with maxEntries = ${fmt(mem.preallocated.maxEntries)} holds ${mib(mem.preallocated.heapBytes)} of heap, outside cache_size_bytes. Size CACHE_L1_MAX_ENTRIES to what CACHE_L1_MAX_BYTES can hold, not far above it.`,
      '',
      '### Commands',
      '',
      '```',
      'npm run bench        # node --import tsx bench/run.ts',
      `node --import tsx bench/server.ts   # env: PORT=0 LOG_LEVEL=warn SEED_PRODUCTS=${PRODUCTS} DATABASE_PATH=… REDIS_CLUSTER_NODES=… CACHE_NAMESPACE=… [BENCH_METRICS=false] [CACHE_L1_ENABLED=false] [CACHE_L1_MAX_ENTRIES=…]`,
      'node --import tsx --import ./src/observability/tracing-bootstrap.ts bench/server.ts   # + OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<sink>',
      ...clientCommands,
      'node --import tsx bench/cache-core.ts',
      'node --expose-gc --import tsx bench/memory.ts',
      '```',
      '',
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    sink?.server.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  writeResults(report.join('\n'));
  log(`wrote ${OUT}`);
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
        const res = await fetch(s.url + path);
        const body = await res.text();
        times.push(performance.now() - t0);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        bodies.add(body);
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
  const marker = '<!-- results: generated by npm run bench; everything below is replaced -->';
  let head = '# Benchmarks\n\n';
  if (existsSync(OUT)) {
    const current = readFileSync(OUT, 'utf8');
    const i = current.indexOf(marker);
    if (i >= 0) head = current.slice(0, i);
  }
  writeFileSync(OUT, `${head}${marker}\n\n${results}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
