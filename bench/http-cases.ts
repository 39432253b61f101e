/**
 * Section 1 of `npm run bench`: HTTP req/s against a standalone bare Hono app (bench/bare-server.ts,
 * its own process, same bytes, `content-type` only), interleaved round by round with the cases.
 * Every service case runs the compiled service exactly as `npm start` does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ClientResult } from './client.ts';
import { type BenchServer, fmt, log, median, pct, runClient, startScript, startService } from './processes.ts';

export interface Case {
  label: string;
  server: BenchServer;
  path: string;
  results: ClientResult[];
  /** Server CPU time (user + system) per answered request, µs, one per run. */
  cpuUs: number[];
  /** Per run of a paired case: the mean req/s and CPU per request of the two reference runs around it. */
  refRps: number[];
  refCpuUs: number[];
}

/** utime + stime of a process in ms, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function measure(x: Case, duration: number): Promise<ClientResult> {
  const before = cpuMs(x.server.proc.pid);
  const res = await runClient({ url: x.server.url, path: x.path, duration });
  x.results.push(res);
  x.cpuUs.push(((cpuMs(x.server.proc.pid) - before) * 1e3) / Math.max(1, res.total));
  return res;
}

export interface HttpOutcome {
  rows: string[];
  targets: string[];
  servers: BenchServer[];
  /** The default-configuration server, reused by the later sections (mix reference). */
  bareRps: number;
}

/** Headers Node's HTTP server writes itself (or per connection): not copied into the second reference. */
const HOP_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/**
 * Answers 200 to every OTLP export, so tracing runs its whole export path and nothing else. The
 * answer is an empty ExportTraceServiceResponse (zero protobuf bytes): a JSON `{}` to the
 * protobuf exporter made every export fail to decode its response and build an Error.
 */
function startOtlpSink(): Promise<{ server: Server; url: string; requests: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => n }),
    ),
  );
}

export async function runHttpCases(opts: {
  dir: string;
  redisEnv: Record<string, string>;
  rounds: number;
  duration: number;
  servers: BenchServer[];
}): Promise<HttpOutcome> {
  const { redisEnv, rounds, duration, servers } = opts;
  const sink = await startOtlpSink();
  try {
    // The first server seeds the shared SQLite file; the others open it seeded.
    const main = await startService('npm start (defaults)', { ...redisEnv, CACHE_NAMESPACE: 'bmain' });
    servers.push(main);
    const product = '/api/products/42';
    const body = await (await fetch(main.url + product)).text();
    const hit = await fetch(main.url + product);
    await hit.arrayBuffer();
    const bodyFile = join(opts.dir, 'product-42.json');
    writeFileSync(bodyFile, body);
    // The L1 hit's own headers, for a bare app that sends them too: what the headers alone cost.
    const l1Headers: Record<string, string> = {};
    for (const [name, value] of hit.headers) if (!HOP_HEADERS.has(name)) l1Headers[name] = value;
    const headersFile = join(opts.dir, 'product-42-headers.json');
    writeFileSync(headersFile, JSON.stringify(l1Headers));
    const [bare, bareHeaders, rawHeaders, warn, inApp, traced, l2Only] = await Promise.all([
      startScript('standalone bare Hono', 'bare-server', { BENCH_BARE_BODY_FILE: bodyFile }),
      startScript('standalone bare Hono, L1 headers', 'bare-server', {
        BENCH_BARE_BODY_FILE: bodyFile,
        BENCH_BARE_HEADERS_FILE: headersFile,
      }),
      startScript('node:http, L1 headers', 'bare-server', {
        BENCH_BARE_BODY_FILE: bodyFile,
        BENCH_BARE_HEADERS_FILE: headersFile,
        BENCH_BARE_RAW: '1',
      }),
      startService('npm start, LOG_LEVEL=warn', { ...redisEnv, CACHE_NAMESPACE: 'bwarn', LOG_LEVEL: 'warn' }),
      startScript('in-app routes', 'server', { ...redisEnv, CACHE_NAMESPACE: 'binapp' }),
      startService('npm start, tracing', {
        ...redisEnv,
        CACHE_NAMESPACE: 'btracing',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      }),
      startService('npm start, L1 off', { ...redisEnv, CACHE_NAMESPACE: 'bl2', CACHE_L1_ENABLED: 'false' }),
    ]);
    servers.push(bare, bareHeaders, rawHeaders, warn, inApp, traced, l2Only);

    const catalogue = '/api/products?limit=24&category=roses&sort=price_asc';
    const search = '/api/products?q=rose&limit=24';
    const popular = '/api/products/popular?limit=10';
    const c = (label: string, server: BenchServer, path: string): Case => ({
      label,
      server,
      path,
      results: [],
      cpuUs: [],
      refRps: [],
      refCpuUs: [],
    });
    const paired: Case[] = [
      c('standalone bare Hono app (reference)', bare, product),
      c("standalone bare Hono app sending the L1 hit's headers (second reference)", bareHeaders, product),
      c("node:http alone sending the L1 hit's headers, prebuilt (third reference, no framework)", rawHeaders, product),
      c('product, L1 hit, npm start defaults (LOG_LEVEL=info, metrics on)', main, product),
      c('product, L1 hit, LOG_LEVEL=warn', warn, product),
      c('in-app bare route (same bytes, whole middleware stack, LOG_LEVEL=info)', inApp, '/bench/bare'),
      c('product, L1 hit, tracing on (10% sampled)', traced, product),
      c('product, L2 hit (L1 disabled)', l2Only, product),
    ];
    const once: Case[] = [
      c('product, uncached (repository + serialize)', inApp, '/bench/uncached/products/42'),
      c('catalogue page (24), L1 hit', main, catalogue),
      c('catalogue page (24), uncached', inApp, `/bench/uncached${catalogue.slice(4)}`),
      c('search, L1 hit', main, search),
      c('search, uncached', inApp, `/bench/uncached${search.slice(4)}`),
      c('best sellers, L1 hit', main, popular),
      c('best sellers, uncached', inApp, '/bench/uncached/popular?limit=10'),
    ];
    // Warm-up: JIT, connections, and the cached routes filled.
    for (const x of [...paired, ...once]) {
      const res = await fetch(x.server.url + x.path);
      if (res.status !== 200) throw new Error(`${x.label}: ${x.path} answered ${res.status}`);
      await res.arrayBuffer();
      await runClient({ url: x.server.url, path: x.path, duration: 1 });
    }
    log('case 1: HTTP');
    const linesBefore = main.stdoutLines();
    let mainRequests = 0;
    // Each case runs between two runs of the reference, and its ratio in a round is taken
    // against their mean: this host drifts by tens of percent within a round (a round of seven
    // 4 s runs once saw the reference at 51k and 80k req/s), so a case is compared with the
    // reference as it was around it, not seconds earlier. The cases' order rotates every round.
    const [reference, ...cases] = paired as [Case, ...Case[]];
    for (let r = 0; r < rounds; r++) {
      let before = await measure(reference, duration);
      for (let i = 0; i < cases.length; i++) {
        const x = cases[(i + r) % cases.length]!;
        const res = await measure(x, duration);
        if (x.server === main) mainRequests += res.total;
        const beforeCpu = reference.cpuUs.at(-1)!;
        const after = await measure(reference, duration);
        x.refRps.push((before.rps + after.rps) / 2);
        x.refCpuUs.push((beforeCpu + reference.cpuUs.at(-1)!) / 2);
        before = after;
      }
      const shown = paired.map((x) =>
        x === reference ? median(x.results.slice(-cases.length - 1).map((q) => q.rps)) : x.results[r]!.rps,
      );
      log(
        `  round ${r + 1}/${rounds}: ${shown.map((v) => fmt(v)).join(' / ')} req/s (${paired.map((x) => x.label.split(' (')[0]).join(' / ')}; the reference as its median this round)`,
      );
    }
    // Each request of the default server wrote one access-log line; they arrive asynchronously.
    await new Promise((r) => setTimeout(r, 1_000));
    const logLines = main.stdoutLines() - linesBefore;
    for (const x of once) await measure(x, duration);
    const exports = sink.requests();

    const rps = (x: Case) => median(x.results.map((r) => r.rps));
    const p50 = (x: Case) => median(x.results.map((r) => r.p50));
    const p99 = (x: Case) => median(x.results.map((r) => r.p99));
    const bad = (x: Case) => x.results.reduce((s, r) => s + r.non2xx + r.errors, 0);
    // A paired case's share of the reference in each round (against the reference runs around
    // it), then the median over rounds; between two paired cases, the median of the per-round
    // quotients of their shares. A case run once is against the reference's median.
    const shares = (x: Case) => x.results.map((q, i) => q.rps / x.refRps[i]!);
    const ratio = (x: Case, y: Case) => {
      if (y === paired[0]) return x.refRps.length > 0 ? median(shares(x)) : rps(x) / rps(y);
      const sy = shares(y);
      return median(shares(x).map((v, i) => v / sy[i]!));
    };
    // CPU per request is steadier than req/s on a crowded host: the reference's CPU/request over the case's.
    const cpuRatio = (x: Case, ref: Case) =>
      x.refCpuUs.length > 0 ? median(x.cpuUs.map((u, i) => x.refCpuUs[i]! / u)) : median(ref.cpuUs) / median(x.cpuUs);
    const [ref, refHeaders, rawRefHeaders, l1, l1Warn, inAppBare, l1Traced, l2] = paired as [
      Case,
      Case,
      Case,
      Case,
      Case,
      Case,
      Case,
      Case,
    ];
    const [, catL1, catUnc, searchL1, searchUnc, popL1, popUnc] = once as [Case, Case, Case, Case, Case, Case, Case];
    const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
    const tracingCost = 1 - ratio(l1Traced, l1);
    const row = (x: Case, note = '') =>
      `| ${x.label} | \`${x.path}\` | ${fmt(rps(x))} | ${pct(x === ref ? 1 : ratio(x, ref))} | ${fmt(median(x.cpuUs), 1)} | ${pct(cpuRatio(x, ref))} | ${fmt(p50(x), 1)} | ${fmt(p99(x), 1)} | ${x.results.length} | ${bad(x)} | ${note} |`;
    const targets = [
      `| L1 hit, npm start defaults (metrics on, access log at info) ≥ 80% of the standalone bare app | ${pct(ratio(l1, ref))} | ${met(ratio(l1, ref) >= 0.8)} |`,
      `| L1 hit, LOG_LEVEL=warn ≥ 90% of the standalone bare app | ${pct(ratio(l1Warn, ref))} | ${met(ratio(l1Warn, ref) >= 0.9)} |`,
      `| L2 hit (L1 off) ≥ 60% of the standalone bare app | ${pct(ratio(l2, ref))} | ${met(ratio(l2, ref) >= 0.6)} |`,
      `| tracing on at 10% sampling costs ≤ 10% of L1-hit throughput | ${pct(tracingCost)} (${exports} OTLP exports received) | ${met(tracingCost <= 0.1)} |`,
      `| access log: one line per request at info, none lost | ${fmt(logLines)} lines for ${fmt(mainRequests)} measured requests | ${met(logLines >= mainRequests && logLines <= mainRequests + 50 * rounds)} (autocannon does not count the ≤ 50 requests in flight when a run ends) |`,
      `| cached several times faster than uncached where the query is expensive | catalogue ${(rps(catL1) / rps(catUnc)).toFixed(1)}x, search ${(rps(searchL1) / rps(searchUnc)).toFixed(1)}x, best sellers ${(rps(popL1) / rps(popUnc)).toFixed(1)}x | ${met(rps(catL1) / rps(catUnc) >= 3 && rps(searchL1) / rps(searchUnc) >= 3 && rps(popL1) / rps(popUnc) >= 3)} (≥ 3x) |`,
    ];
    const rows = [
      `### 1. HTTP (autocannon, 50 connections, ${duration} s per run, loopback)`,
      '',
      `Paired cases: ${rounds} interleaved rounds; each round runs the reference, then every other paired case followed by the reference again (the cases' order rotated every round), so each case sits between two runs of the reference. req/s and latency are medians over rounds; "vs standalone bare" is the median over rounds of the case's req/s over the mean of the two reference runs around it (the standalone bare Hono app: bench/bare-server.ts, its own process, product 42's bytes with \`c.body\` and \`content-type\` only), and a ratio between two cases (headers, access log, middleware, tracing cost) the median of the quotients of their per-round shares. Service cases run \`dist/main.js\` exactly as \`npm start\` does; the in-app bare route and the uncached references run the compiled bench/server.ts (createService plus bench routes). Cases run once are against the median reference req/s. Latency in ms (autocannon's resolution is 1 ms). "Server CPU µs/req" is the server process's user+system CPU time (/proc, 10 ms ticks) over the requests it answered in the run: on a crowded host it moves far less than req/s, so its ratio to the reference is given as a second, steadier view of the same comparison (the verdicts use req/s as the issue defines them).`,
      '',
      '| Case | Path | req/s | vs standalone bare | server CPU µs/req | bare CPU/req ÷ case CPU/req | p50 ms | p99 ms | runs | non-2xx+errors | |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      row(ref),
      row(
        refHeaders,
        `headers cost ${pct(1 - ratio(refHeaders, ref))}; the L1 hit is ${pct(ratio(l1, refHeaders))} of this app`,
      ),
      row(
        rawRefHeaders,
        `no framework, the same headers: ${pct(ratio(rawRefHeaders, ref))}; the L1 hit at warn is ${pct(ratio(l1Warn, rawRefHeaders))} of it`,
      ),
      row(l1),
      row(l1Warn, `access log cost ${pct(1 - ratio(l1, l1Warn))} (info vs warn)`),
      row(inAppBare, `middleware cost ${pct(1 - ratio(inAppBare, ref))}`),
      row(l1Traced, `tracing cost ${pct(tracingCost)} vs L1 hit`),
      row(l2, 'every GET a Redis round trip'),
      ...once.map((x, i) =>
        row(
          x,
          i === 2
            ? `cached ${(rps(catL1) / rps(catUnc)).toFixed(1)}x`
            : i === 4
              ? `cached ${(rps(searchL1) / rps(searchUnc)).toFixed(1)}x`
              : i === 6
                ? `cached ${(rps(popL1) / rps(popUnc)).toFixed(1)}x`
                : '',
        ),
      ),
      '',
      `Per-round req/s (the reference: every run): ${paired.map((x) => `${x.label}: ${x.results.map((r) => fmt(r.rps)).join(' / ')}`).join('; ')}.`,
      '',
      `Access log of the default server over the paired rounds: ${fmt(logLines)} stdout lines for ${fmt(mainRequests)} requests answered (autocannon's count).`,
      '',
    ];
    return { rows, targets, servers, bareRps: rps(ref) };
  } finally {
    sink.server.close();
  }
}
