/**
 * What the live console costs the hot path: L1-hit throughput of two `npm start` processes that
 * differ only in CONSOLE_ENABLED (on: the 1 s history sampler, the hot-key sketch on every
 * lookup, and one page watching the live stream; off: none of it), interleaved round by round
 * with the order rotated every round, so the host's drift falls on all alike. A third process,
 * configured exactly as the first, is the control: on vs its twin is the noise floor, what two
 * identical processes differ by on this host, against which on vs off is to be read.
 *
 * `npm run bench` runs it as section `console` (BENCH_ONLY=console for it alone); standalone:
 *   npm run build && node --import tsx bench/console-cost.ts   (L1 only, no Redis needed)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientResult } from './client.ts';
import { type BenchServer, fmt, log, median, pct, runClient, runNodeScript, startService } from './processes.ts';

/** utime + stime of a process in ms, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

interface Side {
  label: string;
  server: BenchServer;
  runs: ClientResult[];
  cpuUsPerRequest: number[];
}

const PATH = '/api/products/42';

async function measure(side: Side, duration: number): Promise<void> {
  const before = cpuMs(side.server.proc.pid);
  const res = await runClient({ url: side.server.url, path: PATH, duration });
  side.runs.push(res);
  side.cpuUsPerRequest.push(((cpuMs(side.server.proc.pid) - before) * 1e3) / Math.max(1, res.total));
}

export interface ConsoleCost {
  /** A row for the targets table. */
  target: string;
  rows: string[];
  /** Median per-round (on req/s) / (off req/s). */
  ratio: number;
  /** The same for two identical processes: what on/off is to be read against. */
  floor: number;
}

/** ns per in-process L1 hit, console hook on vs off, one process per run, alternating. */
function coreCost(rounds: number): { onNs: number; offNs: number; ratio: number } {
  const on: number[] = [];
  const off: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const variant of r % 2 === 0 ? ['on', 'off'] : ['off', 'on']) {
      const { ns } = runNodeScript('bench/console-core.ts', [], { CONSOLE: variant }) as { ns: number };
      (variant === 'on' ? on : off).push(ns);
    }
  }
  return { onNs: median(on), offNs: median(off), ratio: median(on.map((x, i) => x / off[i]!)) };
}

export async function runConsoleCost(opts: {
  env: Record<string, string>;
  rounds: number;
  duration: number;
  /** bench/run.ts's report: the target row and the section are added to them. */
  targets?: string[];
  body?: string[];
}): Promise<ConsoleCost> {
  log('case: console hook on vs off, in-process L1 hits');
  const core = coreCost(opts.rounds);
  // LOG_LEVEL=warn on all: the access log would otherwise be most of each request's cost.
  const common = { ...opts.env, LOG_LEVEL: 'warn' };
  const on = await startService('console on', { ...common, CACHE_NAMESPACE: 'bconsole-on', CONSOLE_ENABLED: 'true' });
  const twin = await startService('console on (twin)', {
    ...common,
    CACHE_NAMESPACE: 'bconsole-twin',
    CONSOLE_ENABLED: 'true',
  });
  const off = await startService('console off', {
    ...common,
    CACHE_NAMESPACE: 'bconsole-off',
    CONSOLE_ENABLED: 'false',
  });
  // One page watching: the live stream open for the whole measurement.
  const watching = new AbortController();
  const stream = await fetch(`${on.url}/console/api/stream`, { signal: watching.signal });
  if (stream.status !== 200) throw new Error(`console stream answered ${stream.status}`);
  const drained = stream.body?.pipeTo(new WritableStream(), { signal: watching.signal }).catch(() => undefined);
  try {
    const sides: [Side, Side, Side] = [
      {
        label: 'product, L1 hit, console on (sampler, sketch, one live page)',
        server: on,
        runs: [],
        cpuUsPerRequest: [],
      },
      { label: 'product, L1 hit, CONSOLE_ENABLED=false', server: off, runs: [], cpuUsPerRequest: [] },
      { label: "control: console on, no page (the first one's twin)", server: twin, runs: [], cpuUsPerRequest: [] },
    ];
    for (const side of sides) {
      const res = await fetch(side.server.url + PATH);
      if (res.status !== 200) throw new Error(`${side.label}: ${PATH} answered ${res.status}`);
      await res.arrayBuffer();
      await runClient({ url: side.server.url, path: PATH, duration: 1 });
    }
    log('case: console on vs off');
    for (let r = 0; r < opts.rounds; r++) {
      for (let k = 0; k < sides.length; k++) await measure(sides[(r + k) % sides.length]!, opts.duration);
      log(
        `  round ${r + 1}/${opts.rounds}: on ${fmt(sides[0].runs[r]!.rps)} / off ${fmt(sides[1].runs[r]!.rps)} / twin ${fmt(sides[2].runs[r]!.rps)} req/s`,
      );
    }
    const [withConsole, without, control] = sides;
    const rpsRatio = (a: Side, b: Side) => median(a.runs.map((x, i) => x.rps / b.runs[i]!.rps));
    const cpuRatioOf = (a: Side, b: Side) => median(b.cpuUsPerRequest.map((u, i) => u / a.cpuUsPerRequest[i]!));
    const ratio = rpsRatio(withConsole, without);
    const cpuRatio = cpuRatioOf(withConsole, without);
    const floor = rpsRatio(withConsole, control);
    const cpuFloor = cpuRatioOf(withConsole, control);
    const row = (s: Side) =>
      `| ${s.label} | ${fmt(median(s.runs.map((x) => x.rps)))} | ${fmt(median(s.cpuUsPerRequest), 1)} | ${fmt(median(s.runs.map((x) => x.p99)), 1)} | ${s.runs.length} | ${s.runs.reduce((n, x) => n + x.non2xx + x.errors, 0)} |`;
    const cost = {
      ratio,
      floor,
      target: `| the live console costs nothing measurable on the L1-hit path (on vs off, same run) | in-process hit ${fmt(core.onNs, 0)} vs ${fmt(core.offNs, 0)} ns (on/off ${pct(core.ratio)}); HTTP on/off req/s ${pct(ratio)}, CPU/req ${pct(cpuRatio)}; noise floor (on vs its identical twin) ${pct(floor)}, ${pct(cpuFloor)} | ${ratio >= Math.min(0.95, floor * 0.95) ? '**met**' : '**not met**'} (HTTP ≥ 95%, or within 5% of the noise floor) |`,
      rows: [
        `### Live console on vs off (autocannon, \`${PATH}\`, ${opts.duration} s per run, ${opts.rounds} interleaved rounds, order rotated every round)`,
        '',
        'Three `npm start` processes, LOG_LEVEL=warn: console on (one page watching: its live stream open), console off, and a control identical to the first but unwatched, whose difference from it is the noise floor of two identical processes on this host. "on/off" is the median of the per-round req/s ratios; CPU/req is the server process\'s user+system time per answered request (/proc). In-process: ns per L1 hit through the cache API with the console\'s per-lookup hook composed into the observer vs without (bench/console-core.ts, one process per run, alternating).',
        '',
        '| Case | req/s | server CPU µs/req | p99 ms | runs | non-2xx+errors |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        row(withConsole),
        row(without),
        row(control),
        '',
        `In-process L1 hit: ${fmt(core.onNs, 0)} ns with the console hook, ${fmt(core.offNs, 0)} ns without (median of per-run ratios ${pct(core.ratio)}).`,
        '',
        `On/off: req/s ${pct(ratio)}, CPU per request (off ÷ on) ${pct(cpuRatio)}. Noise floor, on vs its identical twin: req/s ${pct(floor)}, CPU per request ${pct(cpuFloor)}.`,
        '',
      ],
    };
    opts.targets?.push(cost.target);
    opts.body?.push(...cost.rows);
    return cost;
  } finally {
    watching.abort();
    await drained;
    await Promise.all([on.stop(), twin.stop(), off.stop()]);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = mkdtempSync(join(tmpdir(), 'console-cost-'));
  runConsoleCost({
    env: { REDIS_MODE: 'none', DATABASE_PATH: join(dir, 'shop.db') },
    rounds: Number(process.env.BENCH_ROUNDS ?? 6),
    duration: Number(process.env.BENCH_DURATION ?? 4),
  })
    .then((cost) => console.log([cost.target, '', ...cost.rows].join('\n')))
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}
