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

function runPeer(lib: string, scenario: 'l1' | 'l2', seeds: string, ms: number): Promise<PeerResult | undefined> {
  return new Promise((resolve) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/peers/peer-client.ts', JSON.stringify({ lib, scenario, seeds, ms })],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const kill = setTimeout(() => proc.kill('SIGKILL'), ms + 60_000);
    proc.once('exit', (code) => {
      clearTimeout(kill);
      if (code !== 0) {
        log(`  ${lib} ${scenario}: no figure (${err.trim().split('\n')[0]?.slice(0, 160)})`);
        return resolve(undefined);
      }
      const result = JSON.parse(out.trim().split('\n').pop()!) as PeerResult;
      if (result.loadsInRun > 0) {
        log(`  ${lib} ${scenario}: no figure (${result.loadsInRun} loads of warm keys in the measured window)`);
        return resolve(undefined);
      }
      resolve(result);
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
  const rows = [
    '### 3. Peers (same Redis Cluster, 500-byte values, public get-or-set APIs)',
    '',
    `Each library in its own process, ${rounds} round(s) of ${ms / 1000} s per library and scenario, interleaved, median. L1 hit: one caller awaiting get-or-set of one warm key in a loop. L2 hit: 50 concurrent callers over 1,000 warm keys with the memory layer off, so every get is a Redis read. CPU µs/get is the library's process (user + system, all threads) over the measured window; a run that called its loader for a warm key in that window gives no figure. The cold key across two processes is section 4 (stampede) for this cache; the peers' two-process cold-key run is not in this bench yet.`,
    '',
    '| Library | Version | Configuration | L1 hit gets/s | L2 hit gets/s | L2 hit p99 ms | L2 hit CPU µs/get |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
    ...LIBS.map((lib) => {
      const a = fig(lib, 'l1');
      const b = fig(lib, 'l2');
      return `| ${lib} | ${a?.v ?? b?.v ?? '?'} | ${CONFIG[lib]} | ${a ? fmt(a.ops) : '–'} | ${b ? fmt(b.ops) : '–'} | ${b ? b.p99.toFixed(2) : '–'} | ${b ? b.cpu.toFixed(1) : '–'} |`;
    }),
    '',
  ];
  return { targets: [verdict('l1'), verdict('l2')], rows };
}
