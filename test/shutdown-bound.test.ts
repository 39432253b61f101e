import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { freePort, SERVICE_ARGS } from './harness/api-process.ts';
import { tempDatabase } from './harness/service.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const GRACE_MS = 1_000;
/** SHUTDOWN_GRACE_MS plus the documented bound (5 s), plus slack for a loaded machine. */
const LIMIT_MS = GRACE_MS + 5_000 + 2_000;
const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/**
 * The service with its stdout on a pipe the test never reads (`mode: 'stuck'`: the pipe fills
 * up) or closes at once (`mode: 'closed'`); request logs at info level are what fill it.
 */
async function serviceWithStdout(mode: 'stuck' | 'closed') {
  const port = await freePort();
  const db = tempDatabase();
  const child = spawn(process.execPath, SERVICE_ARGS, {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_MODE: 'none',
      DATABASE_PATH: db.path,
      SEED_PRODUCTS: '200',
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  cleanups.push(() => {
    child.kill('SIGKILL');
    db.remove();
  });
  child.stdout!.pause();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (i > 600) throw new Error('service did not start');
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (mode === 'closed') child.stdout!.destroy();
  // ~600 request log lines: far more than a pipe buffer (64 KiB).
  let answered = 0;
  await Promise.all(
    Array.from({ length: 10 }, async (_, loop) => {
      for (let i = 0; i < 60; i++) {
        const res = await fetch(`${url}/api/products/${((loop * 200 + i) % 200) + 1}`, {
          signal: AbortSignal.timeout(5_000),
        }).catch(() => undefined);
        if (res) {
          await res.arrayBuffer();
          answered++;
        }
      }
    }),
  );
  return { child, exited, answered };
}

describe('shutdown completes within SHUTDOWN_GRACE_MS + 5 s whatever stdout does', () => {
  test('stdout is a pipe nobody reads', async () => {
    const { child, exited, answered } = await serviceWithStdout('stuck');
    expect(answered).toBeGreaterThan(0);
    const t0 = performance.now();
    child.kill('SIGTERM');
    const result = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
    const ms = performance.now() - t0;
    expect(result).not.toBe('hung');
    expect(ms).toBeLessThan(LIMIT_MS);
  }, 90_000);

  test('stdout was closed by its reader', async () => {
    const { child, exited } = await serviceWithStdout('closed');
    const t0 = performance.now();
    child.kill('SIGTERM');
    const result = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
    expect(result).not.toBe('hung');
    expect(performance.now() - t0).toBeLessThan(LIMIT_MS);
  }, 90_000);
});
