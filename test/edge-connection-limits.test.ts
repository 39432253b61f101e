import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config/config.ts';
import { type ApiProcess, getMetrics, metricValue, startApiProcess } from './harness/api-process.ts';
import { openSocket, type RawExchange, rawExchange, writeAll } from './helpers/raw-http.ts';

/** Short limits, to see each one act within a test's time. */
let tight: ApiProcess;
/** Default timeouts (nothing set), a small connection cap. */
let defaults: ApiProcess;
let slowHeadersOnDefaults: Promise<RawExchange>;

/** Sends a request line and then one header byte every `everyMs`, never finishing the headers. */
function trickleHeaders(everyMs: number) {
  return async (socket: Socket) => {
    await writeAll(socket, 'GET /api/products/1 HTTP/1.1\r\nHost: x\r\n');
    while (!socket.destroyed) {
      await writeAll(socket, 'X');
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };
}

beforeAll(async () => {
  [tight, defaults] = await Promise.all([
    startApiProcess({
      redis: false,
      env: {
        HTTP_HEADERS_TIMEOUT_MS: '1500',
        HTTP_REQUEST_TIMEOUT_MS: '3000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      },
    }),
    startApiProcess({ redis: false, env: { HTTP_MAX_CONNECTIONS: '20' } }),
  ]);
  // Started now, checked by the last test: the default headers timeout takes ~10 s to act.
  slowHeadersOnDefaults = rawExchange(defaults.port, trickleHeaders(1_000), 30_000);
});

afterAll(async () => {
  await Promise.all([tight?.stop(), defaults?.stop()]);
});

describe('edge timeouts', () => {
  test('the documented defaults', () => {
    const config = loadConfig({});
    expect(config.HTTP_HEADERS_TIMEOUT_MS).toBe(10_000);
    expect(config.HTTP_REQUEST_TIMEOUT_MS).toBe(30_000);
    expect(config.HTTP_KEEP_ALIVE_TIMEOUT_MS).toBe(5_000);
    expect(config.HTTP_MAX_CONNECTIONS).toBe(10_000);
  });

  test('a client trickling its headers is cut at HTTP_HEADERS_TIMEOUT_MS (1.5 s here) with a 408', async () => {
    const exchange = await rawExchange(tight.port, trickleHeaders(200), 10_000);
    expect(exchange.ended).not.toBe('timeout');
    expect(exchange.text).toMatch(/^HTTP\/1\.1 408/);
    expect(exchange.ms).toBeGreaterThan(1_400);
    expect(exchange.ms).toBeLessThan(3_000);
  });

  test('a client trickling its body is cut at HTTP_REQUEST_TIMEOUT_MS (3 s here)', async () => {
    const exchange = await rawExchange(
      tight.port,
      async (socket) => {
        await writeAll(
          socket,
          'POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
        );
        while (!socket.destroyed) {
          await writeAll(socket, ' ');
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      10_000,
    );
    expect(exchange.ended).not.toBe('timeout');
    expect(exchange.ms).toBeGreaterThan(2_900);
    expect(exchange.ms).toBeLessThan(5_000);
  });

  test('an idle kept-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS (1 s here), announced in Keep-Alive', async () => {
    let answeredAt = 0;
    const exchange = await rawExchange(
      tight.port,
      async (socket) => {
        socket.once('data', () => (answeredAt = performance.now()));
        await writeAll(socket, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      },
      10_000,
    );
    expect(exchange.text).toMatch(/^HTTP\/1\.1 200/);
    expect(exchange.text.toLowerCase()).toContain('keep-alive: timeout=1');
    expect(exchange.ended).toBe('closed');
    const idleMs = performance.now() - answeredAt;
    expect(idleMs).toBeGreaterThan(900);
    expect(idleMs).toBeLessThan(2_500);
  });

  test('with nothing configured, a slow-header client is cut within 20 s', async () => {
    const exchange = await slowHeadersOnDefaults;
    expect(exchange.ended).not.toBe('timeout');
    expect(exchange.text).toMatch(/^HTTP\/1\.1 408/);
    expect(exchange.ms).toBeLessThan(20_000);
  }, 40_000);
});

describe('connection cap (HTTP_MAX_CONNECTIONS=20 here)', () => {
  test('connections beyond the cap are refused at once; the gauge counts open ones; room frees up as they close', async () => {
    const idle: Socket[] = [];
    for (let i = 0; i < 19; i++) idle.push(await openSocket(defaults.port));
    // 19 idle plus the scrape's own.
    expect(metricValue(await getMetrics(defaults.url), 'http_server_open_connections')).toBe(20);

    try {
      const refusedAt: number[] = [];
      for (let i = 0; i < 3; i++) {
        const exchange = await rawExchange(
          defaults.port,
          (s) => writeAll(s, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'),
          5_000,
        );
        if (exchange.text.startsWith('HTTP/1.1 200')) continue;
        expect(exchange.text).toBe('');
        expect(exchange.ended).not.toBe('timeout');
        refusedAt.push(exchange.ms);
      }
      expect(refusedAt.length).toBeGreaterThan(0);
      for (const ms of refusedAt) expect(ms).toBeLessThan(500);

      for (const socket of idle.splice(0, 5)) socket.destroy();
      await new Promise((r) => setTimeout(r, 200));
      const res = await fetch(`${defaults.url}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      for (const socket of idle) socket.destroy();
    }
  });
});
