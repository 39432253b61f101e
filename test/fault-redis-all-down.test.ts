import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type ApiProcess,
  getMetrics,
  metricValue,
  percentile,
  readyz,
  startApiProcess,
} from './harness/api-process.ts';
import { type RedisClusterHandle, startPrivateCluster } from './harness/redis.ts';
import { adminHeaders, tempDatabase, testNamespace, waitFor } from './harness/service.ts';

const L2_TIMEOUT_MS = 300;

async function price(api: ApiProcess, id: number): Promise<{ amount: number; cacheStatus: string }> {
  const res = await fetch(`${api.url}/api/products/${id}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { price: { amount: number } };
  return { amount: body.price.amount, cacheStatus: res.headers.get('cache-status') ?? '' };
}

async function setPrice(api: ApiProcess, id: number, amount: number): Promise<void> {
  const res = await fetch(`${api.url}/admin/products/${id}`, {
    method: 'PATCH',
    headers: adminHeaders,
    body: JSON.stringify({ price: { amount, currency: 'EUR' } }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(((await res.json()) as { price: { amount: number } }).price.amount).toBe(amount);
}

async function timedGet(url: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t0 };
}

/**
 * Reads B until it serves `expected`, then keeps reading for a while: once the new price has
 * shown, the old one must never come back. Returns how long the new price took to appear.
 */
async function convergesAndStays(b: ApiProcess, id: number, expected: number, since: number): Promise<number> {
  let seenAt: number | undefined;
  await waitFor(
    async () => {
      if ((await price(b, id)).amount !== expected) return false;
      seenAt = Date.now();
      return true;
    },
    20_000,
    `process B to serve the price changed during the outage (${expected})`,
    25,
  );
  const stayUntil = Date.now() + 2_000;
  while (Date.now() < stayUntil) {
    expect((await price(b, id)).amount).toBe(expected);
    await new Promise((r) => setTimeout(r, 20));
  }
  return seenAt! - since;
}

describe('every Redis node down (one API process)', () => {
  let cluster: RedisClusterHandle;
  let api: ApiProcess;
  beforeAll(async () => {
    cluster = await startPrivateCluster();
    api = await startApiProcess({ redis: cluster.seedString, env: { CACHE_L2_TIMEOUT_MS: String(L2_TIMEOUT_MS) } });
  });
  afterAll(async () => {
    await api?.stop();
    await cluster?.stop();
  });

  test('reads and writes keep working on SQLite, readiness says degraded, the circuit opens, and the service heals by itself when Redis returns', async () => {
    for (let id = 1; id <= 50; id++) await price(api, id);

    await cluster.stopAll();
    const downAt = Date.now();
    await waitFor(
      async () => metricValue(await getMetrics(api.url), 'cache_l2_circuit_state') === 2,
      10_000,
      'the L2 circuit to open',
    );
    const msToOpen = Date.now() - downAt;

    // Every read answers: cached ones from L1, the rest (never read before) from SQLite.
    const reads = [];
    for (let id = 1; id <= 300; id++) reads.push(await timedGet(`${api.url}/api/products/${id}`));
    for (let page = 1; page <= 10; page++)
      reads.push(await timedGet(`${api.url}/api/products?sort=price_desc&page=${page}&limit=20`));
    expect(reads.filter((r) => r.status !== 200)).toEqual([]);
    const medianMs = percentile(
      reads.map((r) => r.ms),
      50,
    );
    // With the circuit open no request waits for Redis, so requests do not cost a timeout each.
    expect(medianMs).toBeLessThan(L2_TIMEOUT_MS / 3);

    const ready = await readyz(api.url);
    expect(ready.httpStatus).toBe(200);
    expect(ready.status).toBe('degraded');
    expect(ready.checks['redis']?.status).not.toBe('up');
    expect(ready.checks['sqlite']?.status).toBe('up');

    // Writes land in SQLite, and this instance serves them at once.
    await setPrice(api, 5, 123_45);
    expect((await price(api, 5)).amount).toBe(123_45);
    const order = await fetch(`${api.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `outage-${Date.now()}` },
      body: JSON.stringify({
        customer: { name: 'Outage Buyer', email: 'outage@example.com' },
        items: [{ productId: 6, quantity: 1 }],
      }),
    });
    expect(order.status, await order.clone().text()).toBe(201);
    const orderId = ((await order.json()) as { id: string }).id;
    const db = new Database(api.databasePath, { readonly: true });
    try {
      expect(db.prepare('SELECT price_minor FROM products WHERE id = 5').get()).toEqual({ price_minor: 123_45 });
      expect(
        db.prepare('SELECT COUNT(*) AS n FROM order_items WHERE order_id = ? AND product_id = 6').get(orderId),
      ).toEqual({ n: 1 });
    } finally {
      db.close();
    }

    const upAt = Date.now();
    await cluster.startAll();
    await cluster.waitForClusterOk(20_000);
    await waitFor(
      async () => (await readyz(api.url)).status === 'ready',
      20_000,
      '/readyz to say ready again without a restart',
    );
    const msToReady = Date.now() - upAt;
    expect(metricValue(await getMetrics(api.url), 'cache_l2_circuit_state')).toBe(0);
    // L2 is written again: a key not yet in L1 goes to Redis and is stored there.
    const fresh = await fetch(`${api.url}/api/products?sort=newest&page=3&limit=7`);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('cache-status')).toMatch(/^shop-l2; fwd=miss; stored/);
    console.log(
      JSON.stringify({
        test: 'redis-all-down',
        readsDuringOutage: reads.length,
        failedReads: 0,
        medianMsDuringOutage: Math.round(medianMs * 10) / 10,
        p99MsDuringOutage:
          Math.round(
            percentile(
              reads.map((r) => r.ms),
              99,
            ) * 10,
          ) / 10,
        msToCircuitOpen: msToOpen,
        msFromStartAllToReady: msToReady,
      }),
    );
  }, 90_000);
});

describe('invalidation lost during an outage (two API processes, one namespace, one SQLite file)', () => {
  let cluster: RedisClusterHandle;
  let a: ApiProcess;
  let b: ApiProcess;
  const db = tempDatabase();
  beforeAll(async () => {
    cluster = await startPrivateCluster();
    const namespace = testNamespace();
    const env = { CACHE_L2_TIMEOUT_MS: String(L2_TIMEOUT_MS) };
    // A first, so the file is seeded once.
    a = await startApiProcess({ redis: cluster.seedString, namespace, databasePath: db.path, env });
    b = await startApiProcess({ redis: cluster.seedString, namespace, databasePath: db.path, env });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await cluster?.stop();
    db.remove();
  });

  async function cacheOnBoth(id: number): Promise<number> {
    const before = (await price(a, id)).amount;
    await price(a, id);
    await price(b, id);
    const second = await price(b, id);
    expect(second.cacheStatus).toMatch(/^shop-l1; hit/);
    expect(second.amount).toBe(before);
    return before;
  }

  test('all nodes killed (L2 data lost): after Redis returns, B drops the price it cached before the write made through A', async () => {
    const id = 11;
    const old = await cacheOnBoth(id);
    await cluster.stopAll();
    await waitFor(
      async () => (await readyz(a.url)).status === 'degraded' && (await readyz(b.url)).status === 'degraded',
      10_000,
      'both processes to see Redis gone',
    );
    const next = old + 1_01;
    await setPrice(a, id, next);
    // The invalidation could not be delivered. B dropped its L1 when its bus subscriptions' connections
    // ended, so it reads SQLite (new); a read that slipped in before that still shows the old price.
    const bDuringOutage = (await price(b, id)).amount;
    expect([old, next]).toContain(bDuringOutage);

    const back = Date.now();
    await cluster.startAll();
    await cluster.waitForClusterOk(20_000);
    const ms = await convergesAndStays(b, id, next, back);
    console.log(
      JSON.stringify({
        test: 'redis-all-down-stale-after-outage',
        variant: 'stopAll/startAll',
        bServedOldDuringOutage: bDuringOutage === old,
        msFromStartAllToNewPriceOnB: ms,
      }),
    );
  }, 90_000);

  test('all nodes paused (L2 keeps the old entry): after resume, B serves the new price and never the old one again', async () => {
    await waitFor(
      async () => (await readyz(a.url)).status === 'ready' && (await readyz(b.url)).status === 'ready',
      20_000,
      'both processes ready',
    );
    const id = 12;
    const old = await cacheOnBoth(id);
    // The old entry is in L2 too; SIGSTOP keeps it there through the outage.
    const inspect = (await (
      await fetch(`${a.url}/admin/cache/inspect?key=product:${id}`, { headers: adminHeaders })
    ).json()) as { l2: { present: boolean } };
    expect(inspect.l2.present).toBe(true);

    const nodes = await cluster.nodes();
    await Promise.all(nodes.map((n) => cluster.pauseNode(n.port)));
    const pausedAt = Date.now();
    try {
      await waitFor(
        async () => metricValue(await getMetrics(a.url), 'cache_l2_circuit_state') === 2,
        10_000,
        "A's L2 circuit to open",
      );
      await waitFor(async () => (await readyz(b.url)).status === 'degraded', 10_000, 'B to see its bus silent');
      // Paused nodes never answer: without the open circuit each of these would wait the full L2 timeout.
      const reads = [];
      for (let i = 0; i < 40; i++) reads.push(await timedGet(`${a.url}/api/products?q=rose&page=${i + 1}&limit=5`));
      expect(reads.filter((r) => r.status !== 200)).toEqual([]);
      const medianMs = percentile(
        reads.map((r) => r.ms),
        50,
      );
      expect(medianMs).toBeLessThan(L2_TIMEOUT_MS / 3);

      const next = old + 2_02;
      await setPrice(a, id, next);
      expect((await price(a, id)).amount).toBe(next);
      // B dropped its L1 when its bus fell silent, so it reads SQLite (new) or, if a read slipped
      // through before that, still shows the old price: never anything else.
      const bDuringOutage = (await price(b, id)).amount;
      expect([old, next]).toContain(bDuringOutage);

      const resumedAt = Date.now();
      await Promise.all(nodes.map((n) => cluster.resumeNode(n.port)));
      await cluster.waitForClusterOk(20_000);
      const ms = await convergesAndStays(b, id, next, resumedAt);
      // A must not go back to the old price either (its replayed invalidation removed the L2 entry).
      expect((await price(a, id)).amount).toBe(next);
      console.log(
        JSON.stringify({
          test: 'redis-all-down-stale-after-outage',
          variant: 'pause/resume',
          pausedForMs: resumedAt - pausedAt,
          medianMsWhilePausedCircuitOpen: Math.round(medianMs * 10) / 10,
          bServedOldDuringOutage: bDuringOutage === old,
          msFromResumeToNewPriceOnB: ms,
        }),
      );
    } finally {
      for (const n of nodes) await cluster.resumeNode(n.port).catch(() => undefined);
    }
  }, 90_000);
});
