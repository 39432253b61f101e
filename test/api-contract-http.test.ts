import { Writable } from 'node:stream';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, startTestService, type TestService } from './harness/service.ts';

/** Behaviour a browser front end relies on, over real HTTP: CORS, 405, query handling, ids, links, compression. */

const SHOP_ORIGIN = 'http://shop.localhost:5173';
const OTHER_ORIGIN = 'http://evil.localhost:5173';

describe('HTTP contract for front ends', () => {
  let shop: TestService;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    shop = await startTestService({
      listen: true,
      env: { CORS_ORIGINS: `${SHOP_ORIGIN}, https://admin.example.org` },
      logger: pino({ level: 'info' }, sink),
    });
  });
  afterAll(async () => {
    await shop?.close();
  });

  describe('CORS', () => {
    const preflight = (origin: string, method: string, headers: string) =>
      shop.request('/api/orders', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
      });

    it('answers a preflight from a listed origin with methods, headers and a max-age', async () => {
      const res = await preflight(SHOP_ORIGIN, 'POST', 'content-type, idempotency-key');
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      const allowed = res.headers.get('access-control-allow-headers')!.split(/,\s*/);
      expect(allowed).toEqual(
        expect.arrayContaining(['content-type', 'if-none-match', 'idempotency-key', 'authorization']),
      );
      expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
      expect(res.headers.get('vary')).toContain('Origin');
    });

    it('gives an unlisted origin no CORS header at all, preflight or not', async () => {
      const pre = await preflight(OTHER_ORIGIN, 'POST', 'content-type');
      const get = await shop.request('/api/categories', { headers: { origin: OTHER_ORIGIN } });
      expect(get.status).toBe(200);
      for (const res of [pre, get]) {
        expect([...res.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
        expect(res.headers.get('vary')).toContain('Origin');
      }
    });

    it('exposes the contract headers on actual responses, including 304s and problems', async () => {
      const first = await shop.request('/api/products/7', { headers: { origin: SHOP_ORIGIN } });
      const etag = first.headers.get('etag')!;
      const again = await shop.request('/api/products/7', { headers: { origin: SHOP_ORIGIN, 'if-none-match': etag } });
      const missing = await shop.request('/api/products/999999', { headers: { origin: SHOP_ORIGIN } });
      expect([first.status, again.status, missing.status]).toEqual([200, 304, 404]);
      for (const res of [first, again, missing]) {
        expect(res.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
        const exposed = res.headers.get('access-control-expose-headers')!.split(/,\s*/);
        expect(exposed).toEqual(
          expect.arrayContaining(['etag', 'cache-status', 'location', 'idempotency-replayed', 'x-request-id']),
        );
        expect(res.headers.get('vary')).toContain('Origin');
      }
    });

    it('answers the same cached value to each origin with that origin in the header, and to none without', async () => {
      const path = '/api/categories';
      await shop.request(path); // fill the cache
      const a = await shop.request(path, { headers: { origin: SHOP_ORIGIN } });
      const b = await shop.request(path, { headers: { origin: 'https://admin.example.org' } });
      const none = await shop.request(path);
      expect(a.headers.get('cache-status')).toMatch(/^shop-l1; hit/);
      expect(a.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
      expect(b.headers.get('access-control-allow-origin')).toBe('https://admin.example.org');
      expect(none.headers.get('access-control-allow-origin')).toBeNull();
      expect(none.headers.get('vary')).toContain('Origin');
      const [ta, tb, tn] = await Promise.all([a.text(), b.text(), none.text()]);
      expect(ta).toBe(tb);
      expect(ta).toBe(tn);
    });

    it('has no CORS at all when CORS_ORIGINS is unset', async () => {
      const plain = await startTestService({ listen: true, redis: false });
      try {
        const pre = await plain.request('/api/orders', {
          method: 'OPTIONS',
          headers: { origin: SHOP_ORIGIN, 'access-control-request-method': 'POST' },
        });
        const get = await plain.request('/api/categories', { headers: { origin: SHOP_ORIGIN } });
        for (const res of [pre, get])
          expect([...res.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
      } finally {
        await plain.close();
      }
    });
  });

  describe('methods', () => {
    it.each([
      ['DELETE', '/api/products/1', 'GET, HEAD'],
      ['POST', '/api/categories', 'GET, HEAD'],
      ['GET', '/api/orders', 'POST'],
      ['PUT', '/api/orders/AAAAAAAAAAAAAAAAAAAAAA', 'GET, HEAD'],
      ['GET', '/admin/products', 'POST'],
      ['PUT', '/admin/products/3', 'PATCH, DELETE'],
    ])('%s %s is a 405 problem with Allow: %s (before any token check)', async (method, path, allow) => {
      const res = await shop.request(path, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('allow')).toBe(allow);
      expect(await res.json()).toMatchObject({ type: '/problems/method-not-allowed', status: 405 });
    });

    it('still 404s an unknown path and answers the methods a path has', async () => {
      expect((await shop.request('/api/nothing', { method: 'DELETE' })).status).toBe(404);
      expect((await shop.request('/api/products/1')).status).toBe(200);
      const options = await shop.request('/admin/categories/roses', { method: 'OPTIONS' });
      expect(options.status).toBe(204);
      expect(options.headers.get('allow')).toBe('PATCH, DELETE, OPTIONS');
    });
  });

  describe('query parameters', () => {
    it('ignores unknown parameters: same answer, same cache entry, no 400', async () => {
      const first = await shop.request('/api/products?category=roses&limit=5&page=2');
      const busted = await shop.request('/api/products?category=roses&limit=5&page=2&_=1712345&utm_source=mail');
      expect(first.status).toBe(200);
      expect(busted.status).toBe(200);
      expect(busted.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(busted.headers.get('cache-status')).toMatch(/^shop-l1; hit/);
      expect(await busted.text()).toBe(await first.text());
    });

    it.each([
      ['1', 'true'],
      ['0', 'false'],
    ])('reads inStock=%s as inStock=%s (one cache entry for both spellings)', async (short, long) => {
      const a = await shop.request(`/api/products?inStock=${long}&limit=100`);
      const b = await shop.request(`/api/products?inStock=${short}&limit=100`);
      expect(b.status).toBe(200);
      expect(b.headers.get('cache-status')).toMatch(/^shop-l1; hit/);
      const page = (await b.json()) as { items: { stock: number }[] };
      expect(await a.json()).toEqual(page);
      expect(page.items.every((p) => (long === 'true' ? p.stock > 0 : p.stock === 0))).toBe(true);
    });
  });

  describe('request ids', () => {
    it("echoes a well-formed X-Request-Id, replaces a malformed one, and logs it on the request's line", async () => {
      const given = await shop.request('/api/products/3', { headers: { 'x-request-id': 'front-end.42:abc_DEF' } });
      expect(given.headers.get('x-request-id')).toBe('front-end.42:abc_DEF');
      const bad = await shop.request('/api/products/3', { headers: { 'x-request-id': 'has spaces "and" quotes' } });
      const generated = bad.headers.get('x-request-id')!;
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      const none = await shop.request('/api/nothing/here');
      expect(none.status).toBe(404);
      expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const failed = await shop.request('/api/orders', { method: 'POST', body: 'nope', headers: adminHeaders });
      expect(failed.status).toBe(400);
      expect(failed.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const lineOf = (id: string) => logLines.find((l) => l.msg === 'request' && l.requestId === id);
      expect(lineOf('front-end.42:abc_DEF')).toMatchObject({ route: '/api/products/:id', status: 200 });
      expect(lineOf(generated)).toMatchObject({ route: '/api/products/:id' });
      expect(lineOf(failed.headers.get('x-request-id')!)).toMatchObject({ status: 400 });
    });
  });

  describe('Link headers', () => {
    const links = (res: Response) =>
      Object.fromEntries([...res.headers.get('link')!.matchAll(/<([^>]+)>; rel="(\w+)"/g)].map((m) => [m[2], m[1]]));

    it('names first, prev, next and last pages, keeping filters and dropping unknown parameters', async () => {
      const res = await shop.request('/api/products?category=roses&sort=price_asc&limit=3&page=2&utm_x=1');
      const page = (await res.json()) as { total: number; limit: number };
      const last = Math.ceil(page.total / 3);
      expect(last).toBeGreaterThan(2);
      const l = links(res);
      expect(l).toEqual({
        first: '/api/products?category=roses&sort=price_asc&page=1&limit=3',
        prev: '/api/products?category=roses&sort=price_asc&page=1&limit=3',
        next: '/api/products?category=roses&sort=price_asc&page=3&limit=3',
        last: `/api/products?category=roses&sort=price_asc&page=${last}&limit=3`,
      });
      // Following next gives the next page.
      const next = (await (await shop.request(l.next!)).json()) as { page: number };
      expect(next.page).toBe(3);
    });

    it('has no prev on the first page and no next on the last', async () => {
      const first = links(await shop.request('/api/products?limit=100'));
      expect(first.prev).toBeUndefined();
      expect(first.next).toBeDefined();
      const lastPage = Number(new URL(first.last!, 'http://x').searchParams.get('page'));
      const last = links(await shop.request(`/api/products?limit=100&page=${lastPage}`));
      expect(last.next).toBeUndefined();
      expect(last.prev).toBeDefined();
    });
  });

  describe('compression', () => {
    it('sends a large page as brotli or gzip when accepted, identical once decoded, with Vary: Accept-Encoding', async () => {
      const path = '/api/products?limit=100&sort=newest';
      const plain = await shop.request(path, { headers: { 'accept-encoding': 'identity' } });
      const text = await plain.text();
      expect(text.length).toBeGreaterThan(10_000);
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(plain.headers.get('vary')).toContain('Accept-Encoding');
      const raw = async (encoding: string) => {
        // undici would decode for us; read the bytes as they came over the wire instead.
        const { request } = await import('node:http');
        return new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
          request(`${shop.url}${path}`, { headers: { 'accept-encoding': encoding } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          })
            .on('error', reject)
            .end();
        });
      };
      const br = await raw('gzip, deflate, br');
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.body.length).toBeLessThan(text.length / 3);
      expect(brotliDecompressSync(br.body).toString()).toBe(text);
      const gz = await raw('gzip');
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.body).toString()).toBe(text);
      expect(gz.headers.vary).toContain('Accept-Encoding');
      expect(gz.headers.etag).toBe(`W/${plain.headers.get('etag')}`);
      const refused = await raw('br;q=0, gzip;q=0');
      expect(refused.headers['content-encoding']).toBeUndefined();
      // The weak ETag of a compressed answer revalidates too.
      const revalidated = await shop.request(path, { headers: { 'if-none-match': String(gz.headers.etag) } });
      expect(revalidated.status).toBe(304);
    });

    it('leaves small answers uncompressed', async () => {
      const res = await shop.request('/api/categories/roses', { headers: { 'accept-encoding': 'gzip, br' } });
      expect(res.headers.get('content-encoding')).toBeNull();
    });
  });
});
