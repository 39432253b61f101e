/**
 * `npm run load`: steady traffic at a set rate against one running API (local, or the compose
 * stack), to fill dashboards and to make alerts fire on purpose. Bounded: it stops after
 * --duration, never has more than --max-inflight requests open, and only ever talks to the
 * one base URL it was given. Prints a JSON summary at the end.
 */
import { parseArgs } from 'node:util';
import { Mix, type PlannedRequest } from '../bench/workload.ts';

const HELP = `Usage: npm run load -- [options]

  --url URL            API base URL (default: $LOAD_BASE_URL, $BASE_URL, else http://127.0.0.1:3000)
  --rate N             requests per second (default 50)
  --duration S         seconds to run, then stop (default 60)
  --scenario NAME      mix | cold-start | hit-ratio-drop (default mix)
                         mix            Zipf reads of products, catalogue pages, searches, best sellers, plus writes
                         cold-start     POST /admin/cache/invalidate {prefixes: all} first, then the mix
                         hit-ratio-drop the mix for the first half, then uniform reads over many distinct
                                        searches and ids, so the hit ratio falls (CacheHitRatioDropped)
  --write-ratio R      share of requests that write (default 0.01): orders, and admin price changes when a token is set
  --zipf S             Zipf exponent of key popularity (default 1; 0 = uniform)
  --admin-token T      admin token (default: $ADMIN_TOKEN); needed for cold-start and for admin writes
  --max-inflight N     cap on open requests (default 256); past it, requests are skipped and counted
  --allow-remote       allow a target that is not loopback or a single-label host name (e.g. compose's "proxy")
  --help               this text
`;

export interface LoadSummary {
  url: string;
  scenario: string;
  durationSeconds: number;
  targetRate: number;
  achievedRate: number;
  sent: number;
  completed: number;
  skippedAtCap: number;
  byStatus: Record<string, number>;
  byRoute: Record<string, number>;
  errors: Record<string, number>;
  latencyMs: { p50: number; p99: number; max: number };
  cacheStatus: { l1Hit: number; l2Hit: number; miss: number; stale: number; none: number };
  catalogueSize: number;
  phases?: { name: string; sent: number; l1Hit: number; l2Hit: number; miss: number }[];
}

/** Loopback, or a one-label name such as a compose service; anything else needs --allow-remote. */
export function targetAllowed(url: URL, allowRemote: boolean): boolean {
  if (allowRemote) return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)) return true;
  return /^[a-z][a-z0-9-]*$/i.test(host);
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      rate: { type: 'string', default: '50' },
      duration: { type: 'string', default: '60' },
      scenario: { type: 'string', default: 'mix' },
      'write-ratio': { type: 'string', default: '0.01' },
      zipf: { type: 'string', default: '1' },
      'admin-token': { type: 'string' },
      'max-inflight': { type: 'string', default: '256' },
      'allow-remote': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new UsageError(`--${name} must be a number in [${min}, ${max}], got "${v}"`);
    return n;
  };
  const scenario = values.scenario;
  if (scenario !== 'mix' && scenario !== 'cold-start' && scenario !== 'hit-ratio-drop')
    throw new UsageError(`--scenario must be mix, cold-start or hit-ratio-drop, got "${scenario}"`);
  const rawUrl = values.url ?? process.env.LOAD_BASE_URL ?? process.env.BASE_URL ?? 'http://127.0.0.1:3000';
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UsageError(`--url is not a URL: "${rawUrl}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be http or https');
  if (!targetAllowed(url, values['allow-remote']))
    throw new UsageError(`refusing to send load to ${url.host}: not loopback (pass --allow-remote if you mean it)`);
  return {
    help: values.help,
    base: url.origin,
    rate: num('rate', values.rate, 0.1, 100_000),
    duration: num('duration', values.duration, 0.1, 86_400),
    scenario,
    writeRatio: num('write-ratio', values['write-ratio'], 0, 1),
    zipf: num('zipf', values.zipf, 0, 10),
    adminToken: values['admin-token'] ?? process.env.ADMIN_TOKEN,
    maxInflight: num('max-inflight', values['max-inflight'], 1, 100_000),
  };
}

class UsageError extends Error {}

type Tier = 'l1Hit' | 'l2Hit' | 'miss' | 'stale' | 'none';

/** Which tier answered, from an RFC 9211 Cache-Status list (any member that says `hit`; `detail=stale` when served stale). */
export function tierOf(cacheStatus: string | null): Tier {
  if (!cacheStatus) return 'none';
  for (const member of cacheStatus.split(',')) {
    const params = member.split(';').map((p) => p.trim());
    if (!params.includes('hit')) continue;
    if (params.includes('detail=stale')) return 'stale';
    return params[0]!.endsWith('-l1') ? 'l1Hit' : 'l2Hit';
  }
  return 'miss';
}

function routeOf(r: PlannedRequest): string {
  return `${r.method} ${r.kind}`;
}

export async function runLoad(argv: string[]): Promise<LoadSummary | undefined> {
  const opts = parse(argv);
  if (opts.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  const { base } = opts;
  const first = await fetch(`${base}/api/products?limit=1`);
  if (!first.ok) throw new Error(`${base}/api/products?limit=1 answered ${first.status}`);
  const catalogueSize = ((await first.json()) as { total: number }).total;
  if (!(catalogueSize > 0)) throw new Error('the catalogue is empty: nothing to load');

  if (opts.scenario === 'cold-start') {
    if (!opts.adminToken)
      throw new UsageError('cold-start needs --admin-token (or ADMIN_TOKEN) to invalidate the cache');
    const res = await fetch(`${base}/admin/cache/invalidate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prefixes: ['product', 'category', 'catalog', 'search', 'popular'] }),
    });
    if (!res.ok) throw new Error(`cache invalidation answered ${res.status}: ${await res.text()}`);
  }

  const mixOptions = {
    products: catalogueSize,
    zipf: opts.zipf,
    writeRatio: opts.writeRatio,
    adminToken: opts.adminToken,
    seed: Date.now() & 0xffff,
  };
  const mix = new Mix(mixOptions);
  const scatter = new Mix({ ...mixOptions, scatter: true });

  const byStatus: Record<string, number> = {};
  const byRoute: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const tiers: Record<Tier, number> = { l1Hit: 0, l2Hit: 0, miss: 0, stale: 0, none: 0 };
  const phases =
    opts.scenario === 'hit-ratio-drop'
      ? [
          { name: 'mix', sent: 0, l1Hit: 0, l2Hit: 0, miss: 0 },
          { name: 'scattered', sent: 0, l1Hit: 0, l2Hit: 0, miss: 0 },
        ]
      : undefined;
  const latencies: number[] = [];
  let sent = 0;
  let completed = 0;
  let skipped = 0;
  let inflight = 0;
  const started = performance.now();
  const end = started + opts.duration * 1000;
  const half = started + (opts.duration * 1000) / 2;
  const pending = new Set<Promise<void>>();

  const fire = (r: PlannedRequest, phase: number) => {
    sent++;
    inflight++;
    byRoute[routeOf(r)] = (byRoute[routeOf(r)] ?? 0) + 1;
    if (phases) phases[phase]!.sent++;
    const t0 = performance.now();
    const p = fetch(base + r.path, {
      method: r.method,
      ...(r.headers ? { headers: r.headers } : {}),
      ...(r.body !== undefined ? { body: r.body } : {}),
      signal: AbortSignal.timeout(10_000),
    })
      .then(async (res) => {
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        completed++;
        byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
        if (r.method === 'GET') {
          const t = tierOf(res.headers.get('cache-status'));
          tiers[t]++;
          if (phases && t !== 'none' && t !== 'stale') phases[phase]![t]++;
        }
      })
      .catch((error: unknown) => {
        const name =
          error instanceof Error
            ? error.cause instanceof Error
              ? `${error.name}: ${error.cause.message}`
              : `${error.name}: ${error.message}`
            : String(error);
        errors[name] = (errors[name] ?? 0) + 1;
      })
      .finally(() => {
        inflight--;
        pending.delete(p);
      });
    pending.add(p);
  };

  // Open-loop: requests are due at fixed times whatever the server's speed, so a slow server
  // shows as latency and skipped requests rather than as a lower offered rate.
  const interval = 1000 / opts.rate;
  let due = started;
  while (true) {
    const now = performance.now();
    if (now >= end) break;
    while (due <= now && due < end) {
      const phase = phases && due >= half ? 1 : 0;
      const r = phase === 1 ? scatter.next() : mix.next();
      if (inflight >= opts.maxInflight) skipped++;
      else fire(r, phase);
      due += interval;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(50, due - performance.now()))));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies.length
      ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! * 10) / 10
      : 0;
  return {
    url: base,
    scenario: opts.scenario,
    durationSeconds: Math.round(elapsed * 100) / 100,
    targetRate: opts.rate,
    achievedRate: Math.round((completed / elapsed) * 10) / 10,
    sent,
    completed,
    skippedAtCap: skipped,
    byStatus,
    byRoute,
    errors,
    latencyMs: { p50: q(0.5), p99: q(0.99), max: q(1) },
    cacheStatus: tiers,
    catalogueSize,
    ...(phases ? { phases } : {}),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runLoad(process.argv.slice(2)).then(
    (summary) => {
      if (summary) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`load: ${error instanceof Error ? error.message : String(error)}\n`);
      if (error instanceof UsageError) process.stderr.write(`\n${HELP}`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
