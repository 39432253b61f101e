/**
 * What the access log costs an L1 hit, by where its lines go: four `npm start` servers (L1 only,
 * REDIS_MODE=none), LOG_LEVEL=info with stdout read through a pipe (as `npm run bench` and a log
 * shipper read it), to a file, to /dev/null, and LOG_LEVEL=warn (no line) through a pipe;
 * autocannon on `/api/products/42`, interleaved rounds with the order reversed every other
 * round. Reports req/s and the server's user and system CPU per request (/proc).
 * Not part of `npm run bench` (its HTTP section measures info against warn).
 *
 *   node --import tsx bench/access-log-cost.ts      # ROUNDS=6 by default
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreeClusterPort as freeLoopbackPort } from '../src/redis-cluster/free-port.ts';
import { ADMIN_TOKEN, buildAll, median, NPM_START_ARGS, PRODUCTS, runClient } from './processes.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const PATH = '/api/products/42';
const dir = mkdtempSync(join(tmpdir(), 'access-log-cost-'));

/** User and system CPU milliseconds of a process so far (/proc, 10 ms ticks). */
function cpuMs(pid: number | undefined): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

interface Server {
  name: string;
  url: string;
  proc: ChildProcess;
  /** stdout lines read so far (the pipe server only). */
  lines: () => number;
}

async function start(name: string, level: 'info' | 'warn', out: 'pipe' | 'file' | 'null'): Promise<Server> {
  const port = await freeLoopbackPort();
  const stdout = out === 'pipe' ? 'pipe' : out === 'file' ? openSync(join(dir, `${port}.log`), 'w') : 'ignore';
  const proc = spawn(process.execPath, NPM_START_ARGS, {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_MODE: 'none',
      LOG_LEVEL: level,
      ADMIN_TOKEN,
      SEED_PRODUCTS: String(PRODUCTS),
      DATABASE_PATH: join(dir, `${port}.db`),
    },
    stdio: ['ignore', stdout, 'inherit'],
  });
  // Read and count lines as the bench's own reader does (Buffer#indexOf per chunk).
  let lines = 0;
  proc.stdout?.on('data', (d: Buffer) => {
    for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${name} not ready in 120 s`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, url, proc, lines: () => lines };
}

buildAll();
const servers = [
  await start('info, stdout a pipe (read)', 'info', 'pipe'),
  await start('info, stdout a file', 'info', 'file'),
  await start('info, stdout /dev/null', 'info', 'null'),
  await start('warn (no access log), stdout a pipe', 'warn', 'pipe'),
];
for (const s of servers) await runClient({ url: s.url, path: PATH, duration: 1 });
const figures = new Map<string, { rps: number[]; user: number[]; system: number[] }>();
const answered = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
    const before = cpuMs(s.proc.pid);
    const result = await runClient({ url: s.url, path: PATH, duration: 3 });
    const after = cpuMs(s.proc.pid);
    const f = figures.get(s.name) ?? { rps: [], user: [], system: [] };
    figures.set(s.name, f);
    f.rps.push(result.rps);
    answered.set(s.name, (answered.get(s.name) ?? 0) + result.total);
    f.user.push(((after.user - before.user) * 1e3) / result.total);
    f.system.push(((after.system - before.system) * 1e3) / result.total);
  }
}
const warn = figures.get(servers[3]!.name)!;
for (const [name, f] of figures) {
  const vsWarn = median(f.rps.map((rps, r) => rps / warn.rps[r]!));
  console.log(
    `${name.padEnd(36)} ${Math.round(median(f.rps)).toLocaleString('en').padStart(7)} req/s (${(vsWarn * 100).toFixed(1)}% of warn)  user ${median(f.user).toFixed(1)} µs/req  system ${median(f.system).toFixed(1)} µs/req`,
  );
}
const piped = servers[0]!;
console.log(
  `lines read from the pipe: ${piped.lines().toLocaleString('en')} (measured requests: ${answered.get(piped.name)!.toLocaleString('en')}, plus warm-ups)`,
);
for (const s of servers) s.proc.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 500));
rmSync(dir, { recursive: true, force: true });
