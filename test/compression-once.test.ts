import { gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { compression, preferredEncoding } from '../src/http/middleware/compression.ts';
import { etagOf } from '../src/shop/snapshot.ts';

/** The compression middleware on a bare Hono app, counting how often it actually compresses. */
describe('compression of cached answers', () => {
  it('compresses each cached value once per encoding, however many requests ask for it', async () => {
    let body = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `rose ${i}` })) });
    const { middleware, stats } = compression();
    const app = new Hono();
    app.use('*', middleware);
    app.get('/page', (c) => c.body(body, 200, { etag: etagOf(body), 'content-type': 'application/json' }));

    for (let i = 0; i < 20; i++) {
      const res = await app.request('/page', { headers: { 'accept-encoding': i % 2 ? 'gzip' : 'br, gzip' } });
      expect(res.headers.get('content-encoding')).toBe(i % 2 ? 'gzip' : 'br');
      if (i % 2) expect(gunzipSync(Buffer.from(await res.arrayBuffer())).toString()).toBe(body);
    }
    expect(stats.compressions).toBe(2); // one brotli, one gzip

    body = body.replace('rose 7', 'tulip 7'); // a new version of the value: a new ETag
    const res = await app.request('/page', { headers: { 'accept-encoding': 'gzip' } });
    expect(gunzipSync(Buffer.from(await res.arrayBuffer())).toString()).toBe(body);
    expect(stats.compressions).toBe(3);
  });

  it('never compresses answers without an ETag or below the threshold', async () => {
    const { middleware, stats } = compression({ minBytes: 100 });
    const app = new Hono();
    app.use('*', middleware);
    app.get('/order', (c) => c.body('x'.repeat(5_000), 200, { 'content-type': 'application/json' }));
    app.get('/small', (c) => c.body('{"a":1}', 200, { etag: '"s"', 'content-type': 'application/json' }));
    const order = await app.request('/order', { headers: { 'accept-encoding': 'gzip' } });
    expect(order.headers.get('content-encoding')).toBeNull();
    expect(order.headers.get('vary')).toBeNull();
    for (let i = 0; i < 2; i++) {
      const small = await app.request('/small', { headers: { 'accept-encoding': 'gzip' } });
      expect(small.headers.get('content-encoding')).toBeNull();
      expect(await small.text()).toBe('{"a":1}');
    }
    expect(stats.compressions).toBe(0);
  });

  it.each([
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['GZIP;q=0.5', 'gzip'],
    ['*', 'br'],
    ['identity', undefined],
    ['gzip;q=0', undefined],
    [undefined, undefined],
  ])('Accept-Encoding %s → %s', (header, expected) => {
    expect(preferredEncoding(header)).toBe(expected);
  });
});
