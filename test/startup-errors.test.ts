import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT_CODES } from '../src/config/startup-error.ts';
import { freePort, SERVICE_ARGS, startApiProcess } from './harness/api-process.ts';
import { testNamespace, waitFor } from './harness/service.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'startup-errors-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the service as `npm start` does until it exits; what it printed, its exit code and how long it took. */
async function startExpectingExit(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stdout: string; ms: number }> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, SERVICE_ARGS, {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      SEED_PRODUCTS: '50',
      CACHE_NAMESPACE: testNamespace(),
      DATABASE_PATH: join(dir, `ok-${Math.random().toString(36).slice(2)}.db`),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(killer);
  return { code, stderr, stdout, ms: performance.now() - started };
}

function listenOn(port: number, onConnection: (socket: Socket) => void = () => undefined): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer(onConnection);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Exactly one line on stderr, naming what it must name; and the local cluster was never launched. */
function expectOneLine(result: { stderr: string; stdout: string }, ...mentions: string[]): void {
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^flower-shop-api: cannot start: /);
  for (const mention of mentions) expect(lines[0]).toContain(mention);
  expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
  expect(result.stdout).not.toContain('Redis Cluster');
}

describe('clear start-up failures, before anything is launched', () => {
  test('PORT in use: exit 3, naming PORT and the address', async () => {
    const port = await freePort();
    const holder = await listenOn(port);
    try {
      const result = await startExpectingExit({ PORT: String(port) });
      expect(result.code).toBe(EXIT_CODES.port);
      expectOneLine(result, 'PORT', `127.0.0.1:${port}`, 'already in use');
    } finally {
      holder.close();
    }
  });

  test('METRICS_PORT in use: exit 3, naming METRICS_PORT', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const holder = await listenOn(metricsPort);
    try {
      const result = await startExpectingExit({ PORT: String(port), METRICS_PORT: String(metricsPort) });
      expect(result.code).toBe(EXIT_CODES.port);
      expectOneLine(result, 'METRICS_PORT', `127.0.0.1:${metricsPort}`);
    } finally {
      holder.close();
    }
  });

  test('HOST not an address of this machine: exit 3, naming HOST', async () => {
    const result = await startExpectingExit({ PORT: String(await freePort()), HOST: '192.0.2.1' });
    expect(result.code).toBe(EXIT_CODES.port);
    expectOneLine(result, 'HOST', '192.0.2.1');
  });

  test('DATABASE_PATH in a folder that cannot exist: exit 4, naming the variable and the path', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const result = await startExpectingExit({ PORT: String(await freePort()), DATABASE_PATH: join(file, 'shop.db') });
    expect(result.code).toBe(EXIT_CODES.database);
    expectOneLine(result, 'DATABASE_PATH', file);
    expect(result.stderr).toMatch(/ENOTDIR|EEXIST/);
  });

  test('DATABASE_PATH naming a file that is not SQLite: exit 4', async () => {
    const file = join(dir, 'not-a-db');
    writeFileSync(file, 'this is not a database '.repeat(100));
    const result = await startExpectingExit({
      PORT: String(await freePort()),
      DATABASE_PATH: file,
      REDIS_MODE: 'none',
    });
    expect(result.code).toBe(EXIT_CODES.database);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('DATABASE_PATH');
    expect(result.stderr).toContain('SQLITE_NOTADB');
  });

  test('a standalone Redis named as a cluster node: exit 5, naming the node', async () => {
    const redisPort = await freePort();
    const redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    try {
      for (let i = 0; i < 50; i++) {
        const up = await new Promise<boolean>((resolve) => {
          const s = connect(redisPort, '127.0.0.1');
          s.once('connect', () => {
            s.destroy();
            resolve(true);
          });
          s.once('error', () => resolve(false));
        });
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const result = await startExpectingExit({
        PORT: String(await freePort()),
        REDIS_CLUSTER_NODES: `127.0.0.1:${redisPort}`,
      });
      expect(result.code).toBe(EXIT_CODES.redis);
      expectOneLine(result, 'REDIS_CLUSTER_NODES', `127.0.0.1:${redisPort}`, 'standalone');
    } finally {
      redis.kill('SIGKILL');
    }
  });

  test('invalid configuration: exit 2; every exit code is distinct', async () => {
    const result = await startExpectingExit({ PORT: 'eighty' });
    expect(result.code).toBe(EXIT_CODES.config);
    expect(result.stderr).toContain('PORT');
    expect(new Set(Object.values(EXIT_CODES)).size).toBe(Object.values(EXIT_CODES).length);
  });
});

describe('unreachable cluster nodes at start-up', () => {
  test('the service starts degraded and says which node refused and which timed out', async () => {
    const refused = await freePort();
    const silentPort = await freePort();
    const silent = await listenOn(silentPort); // accepts, never answers
    try {
      const api = await startApiProcess({
        redis: `127.0.0.1:${refused},127.0.0.1:${silentPort}`,
        readyWhen: 'answering',
      });
      try {
        // The log is written asynchronously (flushed every 100 ms): wait for the line, not for luck.
        const lineOf = () =>
          api
            .stdout()
            .split('\n')
            .find((l) => l.includes('no node reachable'));
        await waitFor(async () => lineOf() !== undefined, 10_000, 'the start-up line about unreachable nodes').catch(
          () => undefined,
        );
        const line = lineOf();
        expect(line, api.stdout()).toBeDefined();
        expect(line).toContain(`127.0.0.1:${refused} refused the connection`);
        expect(line).toContain(`127.0.0.1:${silentPort} timed out after 2000 ms`);
        const ready = (await (await fetch(`${api.url}/readyz`)).json()) as { status: string };
        expect(ready.status).toBe('degraded');
      } finally {
        await api.stop();
      }
    } finally {
      silent.close();
    }
  });
});
