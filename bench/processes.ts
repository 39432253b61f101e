/**
 * Processes of `npm run bench`: the service as `npm start` runs it (compiled dist/), the bench-only
 * servers (compiled to dist-bench/ from bench/*.ts by tsconfig.bench.json, so no TypeScript loader
 * runs in any measured process), and one autocannon process per HTTP load.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findFreeClusterPort as freeLoopbackPort } from '../src/redis-cluster/free-port.ts';
import type { ClientResult } from './client.ts';
import type { MixOptions } from './workload.ts';

export const CONNECTIONS = 50;
export const PRODUCTS = 5_000;
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

const started = Date.now();
export const log = (m: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1e3).toFixed(0)}s] ${m}\n`);
export const elapsedMinutes = () => (Date.now() - started) / 60_000;

/** package.json's start script, after its prestart build: what a new user runs. */
export const NPM_START_ARGS = [
  '--enable-source-maps',
  '--import',
  './dist/observability/tracing-bootstrap.js',
  'dist/main.js',
];

/** Another Node.js to run the service on: its binary, and a folder holding dist/ and node_modules built for it (bench/node-runtime.ts). */
export interface NodeRuntime {
  node: string;
  cwd: string;
}

export interface BenchServer {
  name: string;
  url: string;
  proc: ChildProcess;
  /** Lines the process wrote to stdout so far (its log, for the npm start servers). */
  stdoutLines(): number;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** `npm run build` (dist/, what npm start runs) and the bench-only servers (dist-bench/). */
export function buildAll(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.bench.json'], {
    stdio: 'inherit',
  });
}

function baseEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, ADMIN_TOKEN, SEED_PRODUCTS: String(PRODUCTS), ...env };
  // npm start's defaults are what is measured unless a case names a variable.
  for (const k of ['LOG_LEVEL', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_EXPORTER']) if (!(k in env)) delete out[k];
  return out;
}

function handle(name: string, url: string, proc: ChildProcess, lines: () => number): BenchServer {
  return {
    name,
    url,
    proc,
    stdoutLines: lines,
    stop: () =>
      new Promise<void>((done) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return done();
        proc.once('exit', () => done());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

function countLines(proc: ChildProcess): () => number {
  let n = 0;
  proc.stdout!.on('data', (d: Buffer) => {
    for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) n++;
  });
  return () => n;
}

/** The service exactly as `npm start` runs it, on a free port; resolves once /readyz says ready. */
export async function startService(
  name: string,
  env: Record<string, string>,
  runtime?: NodeRuntime,
): Promise<BenchServer> {
  const port = await freeLoopbackPort();
  const proc = spawn(runtime?.node ?? process.execPath, NPM_START_ARGS, {
    env: baseEnv({ PORT: String(port), HOST: '127.0.0.1', ...env }),
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(runtime ? { cwd: runtime.cwd } : {}),
  });
  children.add(proc);
  const lines = countLines(proc);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server ${name} exited with ${proc.exitCode} before it was ready`);
    if (Date.now() > deadline) throw new Error(`server ${name} not ready in 120 s`);
    try {
      const res = await fetch(`${url}/readyz`);
      const body = (await res.json()) as { status?: string };
      if (res.status === 200 && body.status === 'ready') break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return handle(name, url, proc, lines);
}

/** A compiled bench-only server (dist-bench/bench/<script>.js) that prints `READY <port>`. */
export function startScript(name: string, script: string, env: Record<string, string>): Promise<BenchServer> {
  const proc = spawn(process.execPath, ['--enable-source-maps', `dist-bench/bench/${script}.js`], {
    env: baseEnv({ PORT: '0', ...env }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(proc);
  const lines = countLines(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server ${name} did not start in 120 s`)), 120_000);
    proc.once('exit', (code) => reject(new Error(`server ${name} exited with ${code} before it was ready`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = /^READY (\d+)$/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve(handle(name, `http://127.0.0.1:${m[1]}`, proc, lines));
    });
  });
}

export const clientCommands = new Set<string>();
export function runClient(spec: {
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

export function runNodeScript(script: string, flags: string[] = [], env: Record<string, string> = {}) {
  const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 240_000,
    env: { ...process.env, ...env },
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** `name{labels} value` lines of the Prometheus text format. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}
export function sumWhere(m: Map<string, number>, name: string, ...labels: string[]): number {
  let total = 0;
  for (const [k, v] of m) if (k.startsWith(`${name}{`) && labels.every((l) => k.includes(l))) total += v;
  return total;
}
export function delta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
export const fmt = (x: number, d = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
export function sh(cmd: string): string {
  try {
    return execFileSync('bash', ['-c', cmd], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
