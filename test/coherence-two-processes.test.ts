import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ApiProcess, startApiProcess } from './harness/api-process.ts';
import { BACKENDS, type SharedStore, sharedStore, usePostgresServer } from './harness/backends.ts';
import { sharedClusterSeeds } from './harness/redis.ts';
import { adminHeaders, testNamespace } from './harness/service.ts';

/**
 * A bounded wait, not a speed target: the 100 ms target is reported in the output line, not
 * asserted. Alone this test sees ~5-60 ms; run beside the fault tests on 2 cores single writes
 * took 150-400 ms (once ~1.8 s) to show. A lost message (no gap detected) would never show:
 * product entries live 300 s in L1, so the bound separates "late" from "lost".
 */
const PROPAGATION_BOUND_MS = 5_000;
const PROPAGATION_TARGET_MS = 100;

const postgres = usePostgresServer();

/** Round-robin HTTP proxy: the two processes behind one port, as a load balancer would put them. Says which one answered. */
function startProxy(upstreams: readonly string[]): Promise<Server> {
  let next = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const index = next++ % upstreams.length;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers.set(k, v);
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      fetch(upstreams[index]! + (req.url ?? '/'), { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) })
        .then(async (up) => {
          const out = Buffer.from(await up.arrayBuffer());
          const h: Record<string, string> = { 'x-upstream': String(index) };
          // fetch has already decoded a compressed body, so its content-encoding no longer applies.
          const dropped = ['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'content-encoding'];
          up.headers.forEach((v, k) => {
            if (!dropped.includes(k)) h[k] = v;
          });
          res.writeHead(up.status, h).end(out);
        })
        .catch((error: unknown) => res.writeHead(502).end(String(error)));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function priceOf(base: string, id: number): Promise<number> {
  const res = await fetch(`${base}/api/products/${id}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { price: { amount: number } }).price.amount;
}

describe.each(BACKENDS)('two API processes on one %s store behind a balancer', (backend) => {
  let a: ApiProcess;
  let b: ApiProcess;
  let proxy: Server;
  let proxyUrl = '';
  let store: SharedStore;

  beforeAll(async () => {
    const namespace = testNamespace();
    store = await sharedStore(backend, postgres);
    const shared = { redis: sharedClusterSeeds(), namespace, databasePath: store.databasePath, env: store.env };
    a = await startApiProcess(shared);
    b = await startApiProcess(shared);
    proxy = await startProxy([a.url, b.url]);
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
    await a?.stop();
    await b?.stop();
    await store?.remove();
  });

  test('a price written through the balancer shows on the other process (target 100 ms, bounded at 5 s) and the old price never comes back once the new one has shown', async () => {
    const instances = [a, b];
    let loadRunning = true;
    let loadErrors = 0;
    // Mixed background traffic through the balancer: catalogue reads and orders on products the writes do not touch.
    const load = Promise.all([
      ...Array.from({ length: 4 }, async (_, loop) => {
        for (let i = 0; loadRunning; i++) {
          const path =
            i % 3 === 0 ? `/api/products?page=${(i % 5) + 1}&limit=10` : `/api/products/${((loop * 13 + i) % 40) + 1}`;
          const res = await fetch(proxyUrl + path);
          await res.arrayBuffer();
          if (res.status !== 200) loadErrors++;
        }
      }),
      (async () => {
        for (let i = 0; loadRunning; i++) {
          const res = await fetch(`${proxyUrl}/api/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              customer: { name: 'Load', email: 'load@example.com' },
              items: [{ productId: 100 + (i % 50), quantity: 1 }],
            }),
          });
          await res.arrayBuffer();
          if (res.status !== 201 && res.status !== 409) loadErrors++;
          await new Promise((r) => setTimeout(r, 20));
        }
      })(),
    ]);

    const delays: number[] = [];
    const staleWindows: number[] = [];
    const slowRounds: { round: number; ms: number | null; oldReads: number; busGaps: number | null }[] = [];
    let staleReads = 0;
    let oldSeenAfterNew = 0;
    try {
      for (let round = 0; round < 30; round++) {
        const id = (round % 6) + 1;
        const old = await priceOf(a.url, id);
        // Both processes hold the product in L1, so only an invalidation message can change what they answer.
        await priceOf(a.url, id);
        expect(await priceOf(b.url, id)).toBe(old);
        await priceOf(b.url, id);
        const next = old + 1 + round;
        const write = await fetch(`${proxyUrl}/admin/products/${id}`, {
          method: 'PATCH',
          headers: adminHeaders,
          body: JSON.stringify({ price: { amount: next, currency: 'EUR' } }),
        });
        const returnedAt = performance.now();
        expect(write.status).toBe(200);
        const writer = Number(write.headers.get('x-upstream'));
        const other = instances[1 - writer]!;
        let seen: number | undefined;
        let oldReads = 0;
        let lastOldStart = 0;
        while (seen === undefined && performance.now() - returnedAt < PROPAGATION_BOUND_MS) {
          const t = performance.now();
          if ((await priceOf(other.url, id)) === next) seen = performance.now() - returnedAt;
          else {
            oldReads++;
            lastOldStart = t - returnedAt;
          }
        }
        staleReads += oldReads;
        if (oldReads > 0) staleWindows.push(lastOldStart);
        if (seen === undefined || seen >= PROPAGATION_TARGET_MS) {
          // Whether the late one coincided with a bus gap (heartbeat silence) on the reader.
          const ready = (await (await fetch(`${other.url}/readyz`)).json()) as {
            checks: { redis?: { bus?: { gaps: number; healthy: boolean } } };
          };
          slowRounds.push({
            round,
            ms: seen === undefined ? null : Math.round(seen),
            oldReads,
            busGaps: ready.checks.redis?.bus?.gaps ?? null,
          });
        }
        expect(seen, `round ${round}: the other process never served the new price`).toBeDefined();
        delays.push(seen!);
        const until = performance.now() + 150;
        while (performance.now() < until) {
          for (const inst of instances) if ((await priceOf(inst.url, id)) !== next) oldSeenAfterNew++;
          if ((await priceOf(proxyUrl, id)) !== next) oldSeenAfterNew++;
        }
      }
    } finally {
      loadRunning = false;
      await load;
    }
    const maxDelay = Math.max(...delays);
    const round1 = (n: number) => Math.round(n * 10) / 10;
    console.log(
      JSON.stringify({
        test: 'coherence-two-processes',
        backend,
        writes: delays.length,
        // Upper bound per write: from the write's response to the end of the first read on the other process that showed it.
        maxPropagationMs: round1(maxDelay),
        meanPropagationMs: round1(delays.reduce((sum, d) => sum + d, 0) / delays.length),
        writesOverTarget: delays.filter((d) => d >= PROPAGATION_TARGET_MS).length,
        targetMs: PROPAGATION_TARGET_MS,
        writesWithStaleReadsAfterReturn: staleWindows.length,
        staleReadsAfterReturn: staleReads,
        longestStaleWindowMs: round1(Math.max(0, ...staleWindows)),
        slowRounds,
        oldSeenAfterNew,
        backgroundErrors: loadErrors,
      }),
    );
    expect(oldSeenAfterNew).toBe(0);
    expect(loadErrors).toBe(0);
    expect(maxDelay).toBeLessThan(PROPAGATION_BOUND_MS);
  }, 60_000);
});
