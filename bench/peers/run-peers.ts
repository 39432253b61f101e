/**
 * Section 3 of `npm run bench`: this cache beside its peers, each in its own process
 * (bench/peers/peer-client.ts) on the bench's Redis Cluster, interleaved over rounds.
 */
import { spawn } from 'node:child_process';
import type { RedisClusterHandle } from '../../src/redis-cluster/index.ts';
import { fmt, log, median } from '../processes.ts';

const LIBS = ['this cache', 'bentocache', 'cacheable', 'cache-manager', 'async-cache-dedupe'] as const;
const CONFIG: Record<(typeof LIBS)[number], string> = {
  'this cache':
    'createCache: L1 (lru-cache) + L2 (ioredis Cluster, auto-pipelining) + invalidation bus; L2 hit: product prefix with l1 off',
  bentocache:
    'bentostore: memoryDriver L1 + redisDriver L2 (ioredis Cluster) + redisBusDriver; L2 hit: redisDriver only; getOrSet',
  cacheable:
    'primary Keyv(CacheableMemory) + secondary Keyv(@keyv/redis on createCluster); L2 hit: primary @keyv/redis; getOrSet',
  'cache-manager':
    'stores [Keyv(CacheableMemory), Keyv(@keyv/redis on createCluster)]; L2 hit: the redis store only; wrap',
  'async-cache-dedupe':
    'memory storage; define() + call. Its redis storage takes an ioredis Redis, not a Cluster: no L2 figure',
};

interface PeerResult {
  lib: string;
  version: string;
  opsPerSec: number;
  p50: number;
  p99: number;
  /** The process's CPU time per get over the measured window (µs). */
  cpuUsPerGet: number;
  /** Loader calls in the measured window: every key is warm, so any load means the "hit" figure is not one. */
  loadsInRun: number;
}

interface ColdResult {
  loads: number;
  failed: number;
  ms: number;
}

async function runPeer(lib: string, scenario: 'l1' | 'l2', seeds: string, ms: number): Promise<PeerResult | undefined> {
  const result = await runClient<PeerResult>(lib, scenario, { lib, scenario, seeds, ms }, ms);
  if (result !== undefined && result.loadsInRun > 0) {
    log(`  ${lib} ${scenario}: no figure (${result.loadsInRun} loads of warm keys in the measured window)`);
    return undefined;
  }
  return result;
}

/**
 * One library's cold key across two processes: both on one namespace; once both say they are
 * ready, each is given the same start time and fires 1,000 concurrent get-or-sets; the loads
 * summed.
 */
async function runCold(lib: string, seeds: string): Promise<ColdResult | undefined> {
  const spec = { lib, scenario: 'cold', seeds, ms: 0, ns: `cold${Math.random().toString(36).slice(2, 10)}` };
  let ready = 0;
  const starters: ((startAt: number) => void)[] = [];
  const onReady = (start: (startAt: number) => void) => {
    starters.push(start);
    if (++ready === 2) {
      const startAt = Date.now() + 300;
      for (const s of starters) s(startAt);
    }
  };
  const pair = await Promise.all([
    runClient<ColdResult>(lib, 'cold', spec, 30_000, onReady),
    runClient<ColdResult>(lib, 'cold', spec, 30_000, onReady),
  ]);
  if (pair[0] === undefined || pair[1] === undefined) return undefined;
  return {
    loads: pair[0].loads + pair[1].loads,
    failed: pair[0].failed + pair[1].failed,
    ms: Math.max(pair[0].ms, pair[1].ms),
  };
}

/** One peer-client process; `onReady`, if given, is called when it prints `ready`, with a way to start it. */
function runClient<R>(
  lib: string,
  scenario: string,
  spec: object,
  ms: number,
  onReady?: (start: (startAt: number) => void) => void,
): Promise<R | undefined> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/peers/peer-client.ts', JSON.stringify(spec)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let announced = false;
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (onReady && !announced && out.includes('ready\n')) {
        announced = true;
        onReady((startAt) => proc.stdin.write(`${startAt}\n`));
      }
    });
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const kill = setTimeout(() => proc.kill('SIGKILL'), ms + 60_000);
    proc.once('exit', (code) => {
      clearTimeout(kill);
      if (code !== 0) {
        const why =
          err
            .trim()
            .split('\n')
            .find((l) => /error/i.test(l)) ?? err.trim().split('\n')[0];
        log(`  ${lib} ${scenario}: no figure (${why?.slice(0, 200)})`);
        return resolve(undefined);
      }
      resolve(JSON.parse(out.trim().split('\n').pop()!) as R);
    });
  });
}

export async function runPeers(opts: { cluster: RedisClusterHandle; quick: boolean }) {
  const rounds = opts.quick ? 1 : 2;
  const ms = opts.quick ? 1_500 : 2_500;
  const results = new Map<string, PeerResult[]>();
  for (let r = 0; r < rounds; r++) {
    for (const scenario of ['l1', 'l2'] as const) {
      for (const lib of LIBS) {
        if (lib === 'async-cache-dedupe' && scenario === 'l2') continue;
        const res = await runPeer(lib, scenario, opts.cluster.seedString, ms);
        if (res) results.set(`${lib}|${scenario}`, [...(results.get(`${lib}|${scenario}`) ?? []), res]);
      }
      log(`  peers round ${r + 1}/${rounds} ${scenario} done`);
    }
  }
  const cold = new Map<string, { loads: number; failed: number; ms: number }>();
  // async-cache-dedupe has no Redis Cluster storage (see CONFIG): two processes share nothing.
  for (const lib of LIBS.filter((l) => l !== 'async-cache-dedupe')) {
    const res = await runCold(lib, opts.cluster.seedString);
    if (res) cold.set(lib, res);
  }
  log('  peers cold key across two processes done');
  const fig = (lib: string, s: string) => {
    const xs = results.get(`${lib}|${s}`);
    return xs
      ? {
          ops: median(xs.map((x) => x.opsPerSec)),
          p99: median(xs.map((x) => x.p99)),
          cpu: median(xs.map((x) => x.cpuUsPerGet)),
          v: xs[0]!.version,
        }
      : undefined;
  };
  const ours = { l1: fig('this cache', 'l1'), l2: fig('this cache', 'l2') };
  const best = (s: 'l1' | 'l2') => Math.max(...LIBS.filter((l) => l !== 'this cache').map((l) => fig(l, s)?.ops ?? 0));
  const verdict = (s: 'l1' | 'l2') => {
    const o = ours[s]?.ops ?? 0;
    const b = best(s);
    const name = s === 'l1' ? 'L1 hit' : 'L2 hit (50 concurrent callers, L1 off)';
    if (b === 0 || o === 0)
      return `| ahead of every peer, ${name} | no figure (see the bench log) | **not measured** |`;
    return `| ahead of every peer, ${name} | ${fmt(o)} vs best peer ${fmt(b)} gets/s (${(o / b).toFixed(2)}x) | ${o > b ? '**met**' : '**not met**'} |`;
  };
  const coldCell = (lib: string) => {
    const c = cold.get(lib);
    return c ? `${c.loads}${c.failed > 0 ? ` (${c.failed} failed)` : ''} in ${fmt(c.ms)} ms` : '–';
  };
  const ourCold = cold.get('this cache');
  const otherLoads = LIBS.filter((l) => l !== 'this cache' && l !== 'async-cache-dedupe').map(
    (l) => `${l} ${cold.get(l)?.loads ?? '–'}`,
  );
  const coldVerdict =
    ourCold === undefined
      ? '| cold key across two processes, peers side by side | no figure (see the bench log) | **not measured** |'
      : `| cold key across two processes, peers side by side (2 × 1,000 concurrent get-or-sets, 100 ms loader) | this cache ${ourCold.loads} load(s)${ourCold.failed > 0 ? `, ${ourCold.failed} failed` : ''}; ${otherLoads.join(', ')} | ${ourCold.loads === 1 && ourCold.failed === 0 ? '**met**' : '**not met**'} |`;
  const rows = [
    '### 3. Peers (same Redis Cluster, 500-byte values, public get-or-set APIs)',
    '',
    `Each library in its own process, ${rounds} round(s) of ${ms / 1000} s per library and scenario, interleaved, median. L1 hit: one caller awaiting get-or-set of one warm key in a loop. L2 hit: 50 concurrent callers over 1,000 warm keys with the memory layer off, so every get is a Redis read. CPU µs/get is the library's process (user + system, all threads) over the measured window; a run that called its loader for a warm key in that window gives no figure. Cold key, 2 processes: each library in two processes on one namespace with its memory and Redis layers on (as the L1 row), both firing 1,000 concurrent get-or-sets of one cold key at the same moment, with a loader that takes 100 ms; the figure is how many times the loader ran in both together, and how long the slower burst took. Section 4 (stampede) is the same over HTTP for this cache.`,
    '',
    '| Library | Version | Configuration | L1 hit gets/s | L2 hit gets/s | L2 hit p99 ms | L2 hit CPU µs/get | cold key, 2 processes: loads |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...LIBS.map((lib) => {
      const a = fig(lib, 'l1');
      const b = fig(lib, 'l2');
      return `| ${lib} | ${a?.v ?? b?.v ?? '?'} | ${CONFIG[lib]} | ${a ? fmt(a.ops) : '–'} | ${b ? fmt(b.ops) : '–'} | ${b ? b.p99.toFixed(2) : '–'} | ${b ? b.cpu.toFixed(1) : '–'} | ${coldCell(lib)} |`;
    }),
    '',
  ];
  return { targets: [verdict('l1'), verdict('l2'), coldVerdict], rows };
}
