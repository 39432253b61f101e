import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICE_ARGS } from './harness/api-process.ts';
import { sharedClusterSeeds } from './harness/redis.ts';
import { TEST_ADMIN_TOKEN, tempDatabase, testNamespace, waitFor } from './harness/service.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const GRACE_MS = 10_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface InFlight {
  request: ClientRequest;
  /** Resolves once the server has read the headers and answered 100 Continue: the request is being handled. */
  accepted: Promise<void>;
  finish(): void;
  done: Promise<{ status: number; body: string; connection: string | undefined }>;
}

/**
 * A request whose body is held back until finish(): with Expect: 100-continue the server says
 * when it has taken the request, so SIGTERM can land while it is provably in flight.
 */
function slowRequest(
  port: number,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): InFlight {
  const payload = Buffer.from(JSON.stringify(body));
  let accept!: () => void;
  const accepted = new Promise<void>((resolve) => (accept = resolve));
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    method,
    path,
    agent: false,
    headers: {
      'content-type': 'application/json',
      'content-length': String(payload.length),
      expect: '100-continue',
      ...headers,
    },
  });
  request.on('continue', () => accept());
  const done = new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
    request.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection }));
      res.on('error', reject);
    });
    request.on('error', reject);
  });
  request.flushHeaders();
  return { request, accepted, finish: () => request.end(payload), done };
}

describe('graceful shutdown of the real process', () => {
  const db = tempDatabase();
  let child: ChildProcessWithoutNullStreams | undefined;

  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    db.remove();
  });

  it('on SIGTERM stops accepting, finishes every in-flight request with a 2xx, closes SQLite cleanly and exits 0', async () => {
    const port = await freePort();
    child = spawn(process.execPath, SERVICE_ARGS, {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(port),
        REDIS_CLUSTER_NODES: sharedClusterSeeds(),
        DATABASE_PATH: db.path,
        SEED_PRODUCTS: '300',
        CACHE_NAMESPACE: testNamespace(),
        LOG_LEVEL: 'info',
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        SHUTDOWN_GRACE_MS: String(GRACE_MS),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const base = `http://127.0.0.1:${port}`;

    await waitFor(
      async () => {
        if (child!.exitCode !== null) throw new Error(`service exited early (${child!.exitCode}): ${stderr}`);
        try {
          const res = await fetch(`${base}/readyz`);
          return res.status === 200 && ((await res.json()) as { status: string }).status === 'ready';
        } catch {
          return false;
        }
      },
      30_000,
      'the service to be ready',
      100,
    );

    // Warm some searches and products through both cache tiers, so shutdown has Redis work to close.
    const warm = await Promise.all(
      ['rose', 'tulip', 'peony', 'orchid', 'bouquet', 'lily'].map((q) => fetch(`${base}/api/products?q=${q}&limit=50`)),
    );
    expect(warm.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const page = (await (await fetch(`${base}/api/products?inStock=true&limit=50&sort=newest`)).json()) as {
      items: { id: number; stock: number; price: { amount: number } }[];
    };
    expect(page.items).toHaveLength(50);
    const toOrder = page.items.slice(0, 40);
    const toReprice = page.items.slice(40, 50);

    const inFlight = [
      ...toOrder.map((p, i) =>
        slowRequest(port, 'POST', '/api/orders', {
          customer: { name: `Last-minute ${i}`, email: 'shutdown@example.com' },
          items: [{ productId: p.id, quantity: 1 }],
        }),
      ),
      ...toReprice.map((p) =>
        slowRequest(
          port,
          'PATCH',
          `/admin/products/${p.id}`,
          { price: { amount: p.price.amount + 1, currency: 'EUR' } },
          { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
        ),
      ),
    ];
    await Promise.all(inFlight.map((r) => r.accepted));

    child.kill('SIGTERM');
    await waitFor(() => stdout.includes('shutting down'), 5_000, 'the shutdown to start');
    // Draining: no new connections are accepted while the in-flight ones are still open.
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();

    for (const r of inFlight) r.finish();
    const results = await Promise.all(inFlight.map((r) => r.done));
    expect(results.slice(0, 40).map((r) => r.status)).toEqual(Array(40).fill(201));
    expect(results.slice(40).map((r) => r.status)).toEqual(Array(10).fill(200));

    const { code, signal } = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no exit within the grace period; stdout:\n${stdout}\nstderr:\n${stderr}`)),
          GRACE_MS,
        ),
      ),
    ]);
    expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });

    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; level: string });
    const messages = lines.map((l) => l.msg);
    expect(messages).toContain('shutting down: draining in-flight requests');
    expect(messages.at(-1)).toBe('stopped');
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);

    // The last connection closed checkpoints the WAL; the file opens cleanly and holds every write.
    const wal = `${db.path}-wal`;
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    const check = new Database(db.path, { readonly: true, fileMustExist: true });
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(
        check.prepare("SELECT COUNT(*) AS n FROM orders WHERE customer_email = 'shutdown@example.com'").get(),
      ).toEqual({ n: 40 });
      const stock = check.prepare('SELECT stock FROM products WHERE id = ?').pluck();
      for (const p of toOrder) expect(stock.get(p.id), `product ${p.id}`).toBe(p.stock - 1);
      const price = check.prepare('SELECT price_minor FROM products WHERE id = ?').pluck();
      for (const p of toReprice) expect(price.get(p.id), `product ${p.id}`).toBe(p.price.amount + 1);
    } finally {
      check.close();
    }
  });
});
