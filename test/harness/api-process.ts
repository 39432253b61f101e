import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TEST_ADMIN_TOKEN, tempDatabase, testNamespace } from './service.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ApiProcessOptions {
  /** REDIS_CLUSTER_NODES seeds; `false` runs on L1 alone (REDIS_MODE=none, never a local cluster). */
  redis: string | false;
  namespace?: string;
  /** Shared by processes that should share a store; a fresh temp file otherwise (removed on stop). */
  databasePath?: string;
  /** Extra environment (CACHE_*, METRICS_*, LOG_LEVEL...), applied last. */
  env?: Record<string, string>;
  /** What /readyz must say before start resolves; `ready` by default. */
  readyWhen?: 'ready' | 'answering';
  readyTimeoutMs?: number;
}

export interface ApiProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly namespace: string;
  readonly databasePath: string;
  /** Everything the process wrote to stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Whether the process has exited (crashed or stopped). */
  exited(): boolean;
  /** SIGTERM, then waits for the exit (SIGKILL after a bound); resolves with how it ended. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A free loopback port, as the OS hands them out (the window before the child binds it is tiny). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Exactly what `npm start` runs after its build (package.json's start script): the tests test the
 * compiled JavaScript a deployment runs. vitest's global setup builds dist/ first.
 */
export const SERVICE_ARGS = [
  '--enable-source-maps',
  '--import',
  './dist/observability/tracing-bootstrap.js',
  'dist/main.js',
];

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A crashed test run must not leave API processes listening. */
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

/**
 * Runs the real service as its own OS process (`npm start`'s `node … dist/main.js`), the way it is
 * deployed: its own event loop, its own Redis connections, real TCP between it and the test.
 */
export async function startApiProcess(options: ApiProcessOptions): Promise<ApiProcess> {
  const port = await freePort();
  const namespace = options.namespace ?? testNamespace();
  const db = options.databasePath ? undefined : tempDatabase();
  const databasePath = options.databasePath ?? db!.path;
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_PATH: databasePath,
    CACHE_NAMESPACE: namespace,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    SEED_PRODUCTS: '300',
    CACHE_BUS_HEARTBEAT_MS: '100',
    CACHE_L2_BREAKER_OPEN_MS: '200',
    SHUTDOWN_GRACE_MS: '2000',
    ...(options.redis ? { REDIS_CLUSTER_NODES: options.redis } : { REDIS_MODE: 'none' }),
    ...options.env,
  };
  const child = spawn(process.execPath, SERVICE_ARGS, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exitInfo) {
      db?.remove();
      return exitInfo;
    }
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const result = await exitPromise;
    clearTimeout(killer);
    db?.remove();
    return result;
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let last = 'no answer yet';
  for (;;) {
    if (exitInfo) {
      db?.remove();
      throw new Error(
        `API process exited (${JSON.stringify(exitInfo)}) before it was ready\nstdout:\n${out.slice(-4000)}\nstderr:\n${err.slice(-4000)}`,
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `API process not ready in time (last /readyz: ${last})\nstdout:\n${out.slice(-4000)}\nstderr:\n${err.slice(-4000)}`,
      );
    }
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      const body = (await res.json()) as { status?: string };
      last = `${res.status} ${body.status ?? '?'}`;
      if (options.readyWhen === 'answering' || body.status === 'ready') break;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url,
    port,
    pid: child.pid!,
    namespace,
    databasePath,
    stdout: () => out,
    stderr: () => err,
    exited: () => exitInfo !== undefined,
    stop,
  };
}

/** Counter/gauge value from a Prometheus text exposition, summed over series whose labels include every given pair. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labelText = rest[0] === '{' ? rest.slice(1, rest.indexOf('}')) : '';
    if (!Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/** Nearest-rank percentile of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface LoadSample {
  /** Milliseconds since the load started. */
  at: number;
  path: string;
  status: number;
  ms: number;
  cacheStatus: string;
  error?: string;
}

/**
 * Closed-loop read load over real HTTP: `concurrency` loops, each sending its next request as
 * soon as the previous one answered, until `durationMs` has passed. Every answer is recorded.
 */
export async function runReadLoad(options: {
  baseUrl: string;
  concurrency: number;
  durationMs: number;
  nextPath: (loop: number, i: number) => string;
  requestTimeoutMs?: number;
}): Promise<LoadSample[]> {
  const samples: LoadSample[] = [];
  const started = performance.now();
  const end = started + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, loop) => {
      for (let i = 0; performance.now() < end; i++) {
        const path = options.nextPath(loop, i);
        const t0 = performance.now();
        try {
          const res = await fetch(options.baseUrl + path, {
            signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
          });
          await res.arrayBuffer();
          samples.push({
            at: t0 - started,
            path,
            status: res.status,
            ms: performance.now() - t0,
            cacheStatus: res.headers.get('cache-status') ?? '',
          });
        } catch (error) {
          samples.push({
            at: t0 - started,
            path,
            status: 0,
            ms: performance.now() - t0,
            cacheStatus: '',
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }),
  );
  return samples;
}

export async function getMetrics(baseUrl: string, init?: RequestInit): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`, init);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

export async function readyz(
  baseUrl: string,
): Promise<{ httpStatus: number; status: string; checks: Record<string, { status: string; [k: string]: unknown }> }> {
  const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
  const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
  return { httpStatus: res.status, ...body };
}
