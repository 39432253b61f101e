import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ApiProcess, startApiProcess } from './harness/api-process.ts';
import { TEST_ADMIN_TOKEN } from './harness/service.ts';
import { firstResponseHeaders, rawExchange, writeAll } from './helpers/raw-http.ts';

let api: ApiProcess;

beforeAll(async () => {
  api = await startApiProcess({ redis: false });
});

afterAll(async () => {
  await api?.stop();
});

const SIZES = [70 * 1024, 300 * 1024, 1024 * 1024, 4 * 1024 * 1024, 10 * 1024 * 1024];
const kib = (n: number) => `${Math.round(n / 1024)} KiB`;

/** A JSON-looking body of exactly `size` bytes (the limit is on bytes; the content never gets parsed). */
function bodyOf(size: number): Buffer {
  const body = Buffer.alloc(size, 0x20);
  body.write('{"customer":{"name":"x","email":"x@example.com"},"items":[],"pad":"');
  body.write('"}', size - 2);
  return body;
}

describe('oversized bodies (MAX_BODY_BYTES, 64 KiB by default)', () => {
  test('undici keep-alive: every oversized POST gets the 413 problem with Connection: close, and the agent carries on', async () => {
    const agent = new Agent({ connections: 1, pipelining: 1, keepAliveTimeout: 30_000 });
    try {
      for (let round = 0; round < 3; round++) {
        for (const size of SIZES) {
          const what = `${kib(size)}, round ${round}`;
          // A request first, so the POST goes out on a connection that has been kept alive.
          const before = await request(`${api.url}/api/products/1`, { dispatcher: agent });
          expect(before.statusCode, what).toBe(200);
          await before.body.arrayBuffer();
          const res = await request(`${api.url}/api/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: bodyOf(size),
            dispatcher: agent,
          });
          expect(res.statusCode, what).toBe(413);
          expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
          expect(res.headers.connection, what).toBe('close');
          expect(((await res.body.json()) as { status: number }).status, what).toBe(413);
        }
      }
    } finally {
      await agent.close();
    }
  });

  test('a chunked body (no Content-Length) is cut at the limit with the same 413', async () => {
    const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
    try {
      for (const size of [200 * 1024, 4 * 1024 * 1024]) {
        const chunks = Array.from({ length: size / 8192 }, () => Buffer.alloc(8192, 0x20));
        const res = await request(`${api.url}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: Readable.from(chunks),
          dispatcher: agent,
        });
        expect(res.statusCode, kib(size)).toBe(413);
        expect(res.headers.connection, kib(size)).toBe('close');
        expect(((await res.body.json()) as { status: number }).status).toBe(413);
        const after = await request(`${api.url}/api/products/2`, { dispatcher: agent });
        expect(after.statusCode).toBe(200);
        await after.body.arrayBuffer();
      }
    } finally {
      await agent.close();
    }
  });

  test("Node's fetch: oversized POSTs never end in 'other side closed'", async () => {
    for (const size of SIZES) {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${api.url}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: bodyOf(size),
        });
        expect(res.status, kib(size)).toBe(413);
        expect(((await res.json()) as { status: number }).status).toBe(413);
      }
    }
  });

  test('raw socket: the whole body sent at once, the 413 arrives and the server closes cleanly (FIN, no reset)', async () => {
    for (const size of SIZES) {
      const body = bodyOf(size);
      const exchange = await rawExchange(
        api.port,
        async (socket) => {
          await writeAll(
            socket,
            `POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
          );
          await writeAll(socket, body);
          // The client goes on to a second request on the same connection, as keep-alive allows.
          await writeAll(socket, 'GET /api/products/1 HTTP/1.1\r\nHost: x\r\n\r\n');
        },
        15_000,
      );
      const { status, headers } = firstResponseHeaders(exchange.text);
      expect(status, kib(size)).toBe(413);
      expect(headers.get('connection'), kib(size)).toBe('close');
      expect(exchange.text, kib(size)).toContain('"status":413');
      // Closed as announced; the pipelined request is not answered on a connection declared closed.
      expect(exchange.ended, kib(size)).toBe('closed');
      expect(exchange.text.match(/HTTP\/1\.1 /g)?.length, kib(size)).toBe(1);
    }
  });

  test('a body within the limit on a kept-alive connection leaves it usable', async () => {
    const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
    try {
      const res = await request(`${api.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          customer: { name: 'A', email: 'a@example.com' },
          items: [{ productId: 1, quantity: 1 }],
        }),
        dispatcher: agent,
      });
      expect(res.statusCode).toBe(201);
      expect(res.headers.connection).toBe('keep-alive');
      await res.body.arrayBuffer();
    } finally {
      await agent.close();
    }
  });
});

describe('admin authentication comes before the body', () => {
  test('no token: 401 at once while the announced 10 MB body has not been sent, with Connection: close', async () => {
    const exchange = await rawExchange(
      api.port,
      (socket) =>
        writeAll(
          socket,
          'POST /admin/products HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{"na',
        ),
      5_000,
    );
    const { status, headers } = firstResponseHeaders(exchange.text);
    expect(status).toBe(401);
    expect(headers.get('connection')).toBe('close');
    expect(exchange.ended).not.toBe('timeout');
    expect(exchange.ms).toBeLessThan(2_000);
  });

  test('a wrong token with an oversized body is 403, not 413; the right token gets the 413', async () => {
    const wrong = await fetch(`${api.url}/admin/products`, {
      method: 'POST',
      headers: { authorization: `Bearer ${'w'.repeat(40)}`, 'content-type': 'application/json' },
      body: bodyOf(1024 * 1024),
    });
    expect(wrong.status).toBe(403);
    await wrong.arrayBuffer();
    const right = await fetch(`${api.url}/admin/products`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: bodyOf(1024 * 1024),
    });
    expect(right.status).toBe(413);
    await right.arrayBuffer();
  });
});
