import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './harness/api-process.ts';
import { type RedisClusterHandle, startPrivateCluster } from './harness/redis.ts';
import { startTestService, type TestService, tempDatabase, waitFor } from './harness/service.ts';

describe('Redis unreachable at start-up', () => {
  let cluster: RedisClusterHandle;
  let s: TestService;
  beforeAll(async () => {
    cluster = await startPrivateCluster();
    await cluster.stopAll();
    s = await startTestService({ redis: cluster.seedString, waitReady: false });
  });
  afterAll(async () => {
    await s?.close();
    await cluster?.stop();
  });

  it('starts, serves from SQLite and says degraded, then uses Redis once it appears', async () => {
    const first = await s.request('/api/products/5');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-status')).toContain('shop-l2; fwd=miss; detail=unavailable');
    const ready = (await (await s.request('/readyz')).json()) as {
      status: string;
      checks: { redis: { status: string } };
    };
    expect(ready.status).toBe('degraded');
    expect(ready.checks.redis.status).toBe('degraded');

    await cluster.startAll();
    await cluster.waitForClusterOk(30_000);
    await waitFor(
      async () => ((await (await s.request('/readyz')).json()) as { status: string }).status === 'ready',
      30_000,
      'the service to use the cluster',
      100,
    );
    // Redis is used again: the miss is stored in L2. L1 normally takes it too, but by design not
    // when a bus silence (three heartbeats unheard, as a stalled event loop on a loaded host
    // makes) or an outdated tag stamp came after the load began; once, in a full fresh-clone CI
    // run, L1 did not take it (which of the two was not recorded: the test service logs nothing).
    const later = await s.request('/api/products/6');
    expect(later.headers.get('cache-status')).toMatch(/^shop-l2; fwd=miss; stored, shop-l1; fwd=miss(; stored)?$/);
    // Either way the next read is a cache hit, from L1 or from the L2 that was just written.
    const again = await s.request('/api/products/6');
    expect(again.headers.get('cache-status')).toMatch(/^shop-l1; hit|^shop-l2; hit/);
  });
});

describe('npm start without redis-server on the machine', () => {
  it('runs on L1 alone and says so loudly', async () => {
    // A PATH that has node but not redis-server.
    const bin = mkdtempSync(join(tmpdir(), 'node-only-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const db = tempDatabase();
    const port = await freePort();
    const child = spawn(join(bin, 'node'), ['--import', 'tsx', 'src/main.ts'], {
      env: {
        PATH: bin,
        PORT: String(port),
        DATABASE_PATH: db.path,
        SEED_PRODUCTS: '50',
        LOG_LEVEL: 'info',
        HOME: process.env.HOME ?? '/tmp',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
        30_000,
        'the service',
        100,
      );
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      const body = (await r.json()) as { status: string; checks: { redis: { status: string } } };
      expect(body.checks.redis.status).toBe('disabled');
      expect(body.status).toBe('ready');
      expect((await fetch(`http://127.0.0.1:${port}/api/products/3`)).status).toBe(200);
      const again = await fetch(`http://127.0.0.1:${port}/api/products/3`);
      expect(again.headers.get('cache-status')).toMatch(/^shop-l1; hit/);
      expect(stderr).toContain('NO REDIS');
      expect(stderr).toContain('apt-get install -y redis-server');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      db.remove();
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
