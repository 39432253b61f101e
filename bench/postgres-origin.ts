/**
 * The PostgreSQL origin (issue 17): what the two cache tiers save when every miss is a network
 * round trip to PostgreSQL instead of a local SQLite page read. Per route, interleaved round by
 * round: L1 hit, L2 hit (L1 off) and uncached with PostgreSQL behind, and uncached on SQLite as
 * the embedded reference; then the stampede with PostgreSQL as the loader, with and without the
 * cache in front. A throwaway PostgreSQL (test/harness/postgres.ts: Debian's initdb/pg_ctl on a
 * free loopback port) and its own Redis Cluster; every server is its own process.
 *
 *   node --import tsx bench/postgres-origin.ts [--write]   # prints the section; --write puts it in BENCHMARKS.md
 *   npm run bench                                          # runs it last and writes it (bench/run.ts)
 * Environment as npm run bench: BENCH_QUICK=1, BENCH_ROUNDS, BENCH_DURATION.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisClusterHandle, startRedisCluster } from '../src/redis-cluster/index.ts';
import { type PostgresServer, startPostgres } from '../test/harness/postgres.ts';
import type { ClientResult } from './client.ts';
import {
  type BenchServer,
  buildAll,
  delta,
  fmt,
  log,
  median,
  pct,
  runClient,
  scrape,
  sh,
  startScript,
  startService,
  sumWhere,
} from './processes.ts';

const BEGIN =
  '<!-- postgres-origin:begin (written by npm run bench, or node --import tsx bench/postgres-origin.ts --write) -->';
const END = '<!-- postgres-origin:end -->';

interface Route {
  name: string;
  /** The service's route. */
  path: string;
  /** The same answer computed from the store on every request (bench/server.ts). */
  uncached: string;
}

const ROUTES: Route[] = [
  { name: 'product by id', path: '/api/products/42', uncached: '/bench/uncached/products/42' },
  {
    name: 'catalogue page (24)',
    path: '/api/products?limit=24&category=roses&sort=price_asc',
    uncached: '/bench/uncached/products?limit=24&category=roses&sort=price_asc',
  },
  { name: 'search', path: '/api/products?q=rose&limit=24', uncached: '/bench/uncached/products?q=rose&limit=24' },
  { name: 'best sellers', path: '/api/products/popular?limit=10', uncached: '/bench/uncached/popular?limit=10' },
];

interface Case {
  label: string;
  server: BenchServer;
  path: (r: Route) => string;
}

interface Run {
  result: ClientResult;
  /** Store operations requests ran, per answered request (db_query_duration_seconds_count, probe left out). */
  queriesPerRequest: number;
}

/** Store operations requests ran (every statement but the background readiness probe). */
function requestQueries(d: Map<string, number>): number {
  return (
    sumWhere(d, 'db_query_duration_seconds_count') - sumWhere(d, 'db_query_duration_seconds_count', 'statement="probe"')
  );
}

async function measure(server: BenchServer, path: string, duration: number): Promise<Run> {
  const before = await scrape(server.url);
  const result = await runClient({ url: server.url, path, duration });
  const d = delta(await scrape(server.url), before);
  return { result, queriesPerRequest: requestQueries(d) / Math.max(1, result.total) };
}

interface StampedeResult {
  loads: number;
  /** Store operations the requests ran, by statement. */
  dbQueries: Record<string, number>;
  /** Failed store operations by kind. */
  dbErrors: Record<string, number>;
  /** Problem titles of the non-200 answers, with counts. */
  problems: Record<string, number>;
  statuses: Record<string, number>;
  identical: boolean;
  p50: number;
  p99: number;
  max: number;
}

/** `perInstance` concurrent GETs of `path` on every instance at once (fetch, new connections). */
async function stampede(instances: BenchServer[], path: string, perInstance: number): Promise<StampedeResult> {
  const before = await Promise.all(instances.map((s) => scrape(s.url)));
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  const okBodies = new Set<string>();
  const problems: Record<string, number> = {};
  await Promise.all(
    instances.flatMap((s) =>
      Array.from({ length: perInstance }, async () => {
        const t0 = performance.now();
        try {
          const res = await fetch(s.url + path);
          const body = await res.text();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 200) okBodies.add(body);
          else {
            const title = /"title":"([^"]*)"/.exec(body)?.[1] ?? 'no problem body';
            problems[`${res.status} ${title}`] = (problems[`${res.status} ${title}`] ?? 0) + 1;
          }
        } catch {
          statuses.error = (statuses.error ?? 0) + 1;
        }
        times.push(performance.now() - t0);
      }),
    ),
  );
  const after = await Promise.all(instances.map((s) => scrape(s.url)));
  let loads = 0;
  const dbQueries: Record<string, number> = {};
  const dbErrors: Record<string, number> = {};
  const add = (into: Record<string, number>, k: string, v: number) => {
    if (v > 0) into[k] = (into[k] ?? 0) + v;
  };
  instances.forEach((_, i) => {
    const d = delta(after[i]!, before[i]!);
    loads += sumWhere(d, 'cache_loads_total', 'prefix="catalog"');
    for (const [k, v] of d) {
      const statement = /statement="([a-z_]+)"/.exec(k)?.[1];
      if (!statement || statement === 'probe') continue;
      if (k.startsWith('db_query_duration_seconds_count{')) add(dbQueries, statement, v);
      const kind = /kind="([a-z_]+)"/.exec(k)?.[1];
      if (kind && k.startsWith('db_errors_total{')) add(dbErrors, kind, v);
    }
  });
  times.sort((x, y) => x - y);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return {
    loads,
    dbQueries,
    dbErrors,
    problems,
    statuses,
    identical: okBodies.size === 1,
    p50: q(0.5),
    p99: q(0.99),
    max: q(1),
  };
}

export async function postgresOriginSection(): Promise<string> {
  const quick = process.env.BENCH_QUICK === '1';
  const duration = Number(process.env.BENCH_DURATION ?? (quick ? 2 : 4));
  const rounds = Number(process.env.BENCH_ROUNDS ?? (quick ? 3 : 5));
  const dir = mkdtempSync(join(tmpdir(), 'flower-shop-bench-pg-'));
  let postgres: PostgresServer | undefined;
  let cluster: RedisClusterHandle | undefined;
  const servers: BenchServer[] = [];
  try {
    log('postgres origin: starting PostgreSQL (test/harness/postgres.ts) and a Redis Cluster');
    postgres = await startPostgres();
    const databaseUrl = await postgres.createDatabase('bench_shop');
    cluster = await startRedisCluster({ log: (m) => log(m) });
    const redis = { REDIS_CLUSTER_NODES: cluster.seedString };
    const pg = { ...redis, DATABASE_URL: databaseUrl };
    // The first server migrates and seeds the database; the others find it seeded.
    const l1 = await startService('postgres, npm start', { ...pg, CACHE_NAMESPACE: 'bpgl1', LOG_LEVEL: 'warn' });
    servers.push(l1);
    const [l2, uncached, sqliteUncached] = await Promise.all([
      startService('postgres, L1 off', {
        ...pg,
        CACHE_NAMESPACE: 'bpgl2',
        CACHE_L1_ENABLED: 'false',
        LOG_LEVEL: 'warn',
      }),
      startScript('postgres, uncached', 'server', { ...pg, CACHE_NAMESPACE: 'bpgunc', LOG_LEVEL: 'warn' }),
      startScript('sqlite, uncached', 'server', {
        ...redis,
        DATABASE_PATH: join(dir, 'shop.db'),
        CACHE_NAMESPACE: 'bsqlunc',
        LOG_LEVEL: 'warn',
      }),
    ]);
    servers.push(l2, uncached, sqliteUncached);
    const cases: Case[] = [
      { label: 'L1 hit', server: l1, path: (r) => r.path },
      { label: 'L2 hit (L1 off)', server: l2, path: (r) => r.path },
      { label: 'uncached, PostgreSQL', server: uncached, path: (r) => r.uncached },
      { label: 'uncached, SQLite (reference)', server: sqliteUncached, path: (r) => r.uncached },
    ];
    // Warm-up: JIT, pools, connections, the cached routes filled.
    for (const route of ROUTES)
      for (const c of cases) {
        const res = await fetch(c.server.url + c.path(route));
        if (res.status !== 200) throw new Error(`${c.label}: ${c.path(route)} answered ${res.status}`);
        await res.arrayBuffer();
        await runClient({ url: c.server.url, path: c.path(route), duration: 1 });
      }

    const runs = new Map<string, Run[]>();
    const key = (route: Route, c: Case) => `${route.name}|${c.label}`;
    log(`postgres origin: ${rounds} rounds of ${duration} s per case`);
    for (let r = 0; r < rounds; r++) {
      for (const route of ROUTES)
        for (const c of cases) {
          const run = await measure(c.server, c.path(route), duration);
          runs.set(key(route, c), [...(runs.get(key(route, c)) ?? []), run]);
        }
      log(`  round ${r + 1}/${rounds} done`);
    }

    const [l1Case, l2Case, pgCase, sqliteCase] = cases as [Case, Case, Case, Case];
    const of = (route: Route, c: Case) => runs.get(key(route, c)) ?? [];
    const rps = (route: Route, c: Case) => median(of(route, c).map((x) => x.result.rps));
    // Per-round ratio against PostgreSQL uncached measured seconds before, then the median.
    const ratio = (route: Route, c: Case, ref: Case) =>
      median(of(route, c).map((x, i) => x.result.rps / of(route, ref)[i]!.result.rps));
    const bad = (route: Route, c: Case) => of(route, c).reduce((s, x) => s + x.result.non2xx + x.result.errors, 0);
    const rows: string[] = [];
    for (const route of ROUTES)
      for (const c of cases) {
        const xs = of(route, c);
        rows.push(
          `| ${route.name} | ${c.label} | \`${c.path(route)}\` | ${fmt(rps(route, c))} | ${ratio(route, c, pgCase).toFixed(2)}x | ${fmt(median(xs.map((x) => x.result.p50)), 1)} | ${fmt(median(xs.map((x) => x.result.p99)), 1)} | ${median(xs.map((x) => x.queriesPerRequest)).toFixed(2)} | ${bad(route, c)} |`,
        );
      }

    // Stampede: two npm start processes sharing the PostgreSQL, the cluster and one namespace.
    log('postgres origin: stampede');
    const stampedeEnv = { ...pg, CACHE_NAMESPACE: 'bpgstampede', LOG_LEVEL: 'warn' };
    const a = await startService('postgres stampede a', stampedeEnv);
    servers.push(a);
    const b = await startService('postgres stampede b', stampedeEnv);
    servers.push(b);
    const perInstance = 1_000;
    const cold = '/api/products?limit=24&category=tulips&sort=newest';
    const cached = await stampede([a, b], cold, perInstance);
    // The same cold-query storm with no cache in front: every request takes a pooled connection.
    const coldUncached = '/bench/uncached/products?limit=24&category=peonies&sort=newest';
    const bare = await stampede([uncached], coldUncached, 2 * perInstance);
    const list = (r: Record<string, number>) =>
      Object.entries(r)
        .map(([k, v]) => `${k}: ${fmt(v)}`)
        .join(', ') || 'none';

    const product = ROUTES[0]!;
    const lines = [
      BEGIN,
      '### PostgreSQL origin (issue 17)',
      '',
      `Run on ${new Date().toISOString()}${quick ? ' (BENCH_QUICK=1)' : ''}; ${sh('nproc')} CPUs shared with the servers, the load generator, 6 Redis nodes and PostgreSQL ${sh(`${join('/usr/lib/postgresql', sh('ls /usr/lib/postgresql | sort -n | tail -1'), 'bin', 'postgres')} --version | cut -d" " -f3`)} (throwaway, loopback, fsync off: only reads are measured), pool of 10 per process (DATABASE_POOL_MAX default).`,
      '',
      `Per route, ${rounds} interleaved rounds of ${duration} s (autocannon, 50 connections, one process per run): L1 hit and L2 hit (L1 off) are \`npm start\` with \`DATABASE_URL\`; "uncached" is bench/server.ts answering from the store on every request (no cache, same serialization) on PostgreSQL and, as the embedded reference, on SQLite. "vs PG uncached" is the median of per-round ratios against PostgreSQL uncached; "queries/req" counts the store operations the server ran per answered request (\`db_query_duration_seconds_count\` delta), which shows what each case really measures (requests still in flight when a run ends ran theirs too, so at a few hundred req/s it reads above the true figure).`,
      '',
      '| Route | Case | Path | req/s | vs PG uncached | p50 ms | p99 ms | queries/req | non-2xx+errors |',
      '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      `What a miss costs now: product by id uncached on PostgreSQL runs at ${pct(ratio(product, pgCase, sqliteCase))} of SQLite's uncached rate; the L1 hit is ${ratio(product, l1Case, pgCase).toFixed(1)}x and the L2 hit ${ratio(product, l2Case, pgCase).toFixed(1)}x the PostgreSQL origin, against ${ratio(product, l1Case, sqliteCase).toFixed(1)}x and ${ratio(product, l2Case, sqliteCase).toFixed(1)}x the SQLite origin. Catalogue, search and best sellers: L1 ${ROUTES.slice(
        1,
      )
        .map((r) => `${ratio(r, l1Case, pgCase).toFixed(1)}x`)
        .join(', ')}, L2 ${ROUTES.slice(1)
        .map((r) => `${ratio(r, l2Case, pgCase).toFixed(1)}x`)
        .join(', ')} the PostgreSQL origin.`,
      '',
      '**Stampede with PostgreSQL as the loader.** Two `npm start` processes on one PostgreSQL, one Redis Cluster and one namespace; 1,000 concurrent GETs of a cold catalogue page sent to each at once (`fetch`, new connections). Then, for contrast, the same 2,000 concurrent GETs of a cold page to the uncached server (no cache: each request needs a pooled connection; the default pool of DATABASE_POOL_MAX connections with DATABASE_POOL_MAX_WAITING requests queued at most, the rest refused with 503 at once; a queued request that waits past DATABASE_CONNECT_TIMEOUT_MS gets a 503 too).',
      '',
      '| Run | loader calls | PostgreSQL operations (by statement) | failed operations (by kind) | answers | refusals (problem title) | 200 bodies identical | p50 ms | p99 ms | max ms |',
      '| --- | ---: | --- | --- | --- | --- | --- | ---: | ---: | ---: |',
      ...[
        [`cached, 2 × 1,000 \`${cold}\``, cached, `**${fmt(cached.loads)}**`] as const,
        [`uncached, 2,000 \`${coldUncached}\``, bare, '–'] as const,
      ].map(
        ([name, s, loads]) =>
          `| ${name} | ${loads} | ${list(s.dbQueries)} | ${list(s.dbErrors)} | ${list(s.statuses)} | ${list(s.problems)} | ${s.identical} | ${fmt(s.p50, 1)} | ${fmt(s.p99, 1)} | ${fmt(s.max, 1)} |`,
      ),
      '',
      END,
    ];
    return lines.join('\n');
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await cluster?.stop();
    await postgres?.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replaces the section between its markers in BENCHMARKS.md, or appends it. */
export function writePostgresOriginSection(section: string): void {
  const path = new URL('../BENCHMARKS.md', import.meta.url);
  const doc = readFileSync(path, 'utf8');
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END);
  const next =
    from >= 0 && to > from
      ? doc.slice(0, from) + section + doc.slice(to + END.length)
      : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  buildAll();
  const section = await postgresOriginSection();
  console.log(section);
  if (process.argv.includes('--write')) writePostgresOriginSection(section);
  process.exit(0);
}
