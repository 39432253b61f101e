import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ApiProcess, startApiProcess } from './harness/api-process.ts';
import { BACKENDS, type SharedStore, sharedStore, usePostgresServer } from './harness/backends.ts';
import { sharedClusterSeeds } from './harness/redis.ts';
import { adminHeaders, testNamespace } from './harness/service.ts';

const PRODUCT = 200;
const STOCK = 50;
const BUYERS = 500;

const postgres = usePostgresServer();

interface Answer {
  status: number;
  orderId?: string;
  replayed: boolean;
  problemType?: string;
  contentType: string;
}

async function order(base: string, key: string, buyer: number): Promise<Answer> {
  const res = await fetch(`${base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({
      customer: { name: `Buyer ${buyer}`, email: `buyer${buyer}@example.com` },
      items: [{ productId: PRODUCT, quantity: 1 }],
    }),
  });
  const body = (await res.json()) as { id?: string; type?: string };
  return {
    status: res.status,
    replayed: res.headers.get('idempotency-replayed') === 'true',
    contentType: res.headers.get('content-type') ?? '',
    ...(body.id ? { orderId: body.id } : {}),
    ...(body.type ? { problemType: body.type } : {}),
  };
}

describe.each(BACKENDS)('two API processes sharing one %s store', (backend) => {
  let a: ApiProcess;
  let b: ApiProcess;
  let store: SharedStore;

  beforeAll(async () => {
    const namespace = testNamespace();
    store = await sharedStore(backend, postgres);
    // Correctness under contention, not latency: on a shared 2-core machine 1,000 requests at once can wait
    // seconds to be read or to get a connection, and the bounds are widened so slowness shows as slowness, not 408/503.
    const env = {
      ...store.env,
      HTTP_HEADERS_TIMEOUT_MS: '30000',
      DATABASE_CONNECT_TIMEOUT_MS: '30000',
      DATABASE_STATEMENT_TIMEOUT_MS: '30000',
    };
    const shared = { redis: sharedClusterSeeds(), namespace, databasePath: store.databasePath, env };
    a = await startApiProcess(shared);
    b = await startApiProcess(shared);
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await store?.remove();
  });

  test('500 buyers, each request sent twice with one Idempotency-Key to both processes at once, against stock 50: exactly 50 orders, none lost or doubled', async () => {
    const patch = await fetch(`${a.url}/admin/products/${PRODUCT}`, {
      method: 'PATCH',
      headers: adminHeaders,
      body: JSON.stringify({ stock: STOCK }),
    });
    expect(patch.status).toBe(200);
    {
      const count = await store.rows<{ n: number }>(
        'SELECT COUNT(*) AS n FROM order_items WHERE product_id = ?',
        PRODUCT,
      );
      const ordersBefore = count[0]!.n;
      const runId = Date.now().toString(36);

      const started = performance.now();
      // Each buyer's two copies go to different processes, so the retry race crosses processes too.
      const pairs = await Promise.all(
        Array.from({ length: BUYERS }, (_, i) => {
          const key = `buy-${runId}-${i}`;
          const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
          return Promise.all([order(first.url, key, i), order(second.url, key, i)]);
        }),
      );
      const elapsedMs = performance.now() - started;

      const unexpected = pairs.flat().filter((r) => r.status !== 201 && r.status !== 409);
      expect(unexpected.slice(0, 5)).toEqual([]);
      const mismatched = pairs.filter(([x, y]) => x.status !== y.status || x.orderId !== y.orderId);
      expect(mismatched.slice(0, 5)).toEqual([]);
      const winners = pairs.filter(([x]) => x.status === 201);
      expect(winners.length).toBe(STOCK);
      // Of each winning pair, exactly one request placed the order and the other replayed it.
      expect(winners.every(([x, y]) => x.replayed !== y.replayed)).toBe(true);
      const orderIds = new Set(winners.map(([x]) => x.orderId!));
      expect(orderIds.size).toBe(STOCK);
      for (const [x, y] of pairs.filter(([p]) => p.status === 409)) {
        for (const r of [x, y]) {
          expect(r.contentType).toMatch(/^application\/problem\+json/);
          expect(r.problemType).toBe('/problems/insufficient-stock');
        }
      }

      // The store agrees: stock is 0 and it holds exactly the 50 orders the clients were told about.
      expect(await store.rows('SELECT stock FROM products WHERE id = ?', PRODUCT)).toEqual([{ stock: 0 }]);
      const stored = await store.rows<{ order_id: string; quantity: number }>(
        'SELECT order_id, quantity FROM order_items WHERE product_id = ?',
        PRODUCT,
      );
      expect(stored.length - ordersBefore).toBe(STOCK);
      for (const id of orderIds) expect(stored.some((row) => row.order_id === id && row.quantity === 1)).toBe(true);
      const keyRows = await store.rows<{ n: number }>(
        'SELECT COUNT(*) AS n FROM idempotency_keys WHERE key LIKE ?',
        `buy-${runId}-%`,
      );
      expect(keyRows[0]!.n).toBe(STOCK);
      // On PostgreSQL there is no SQLite file at all: the two processes share only the server.
      expect(store.sqliteFileExists()).toBe(backend === 'sqlite');

      // Both processes' caches were told: neither still shows stock left.
      for (const inst of [a, b]) {
        const res = await fetch(`${inst.url}/api/products/${PRODUCT}`);
        expect(((await res.json()) as { stock: number }).stock).toBe(0);
      }
      // A retry long after the race still returns the same order.
      const lateRetry = await order(b.url, `buy-${runId}-${pairs.indexOf(winners[0]!)}`, pairs.indexOf(winners[0]!));
      expect(lateRetry).toMatchObject({ status: 201, orderId: winners[0]![0].orderId, replayed: true });

      console.log(
        JSON.stringify({
          test: 'orders-concurrency-two-processes',
          backend,
          requests: BUYERS * 2,
          buyers: BUYERS,
          stock: STOCK,
          created: orderIds.size,
          rejected409Pairs: pairs.length - winners.length,
          otherStatuses: unexpected.length,
          elapsedMs: Math.round(elapsedMs),
        }),
      );
    }
  }, 120_000);
});
