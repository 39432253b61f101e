import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildKey } from '../src/cache/cache-key.ts';
import { PrefixRegistry } from '../src/cache/prefix-registry.ts';
import { shopCachePolicies } from '../src/shop/cache-policies.ts';
import { adminHeaders, startTestService, type TestService } from './harness/service.ts';
import { sqliteDb } from './harness/store-sql.ts';

let shop: TestService;

beforeAll(async () => {
  // A slow heartbeat, as the metrics tests use: a bus gap clears L1, and this file checks L1 state.
  shop = await startTestService({ env: { CACHE_BUS_HEARTBEAT_MS: '1000' } });
});

afterAll(async () => {
  await shop?.close();
});

const RUNS = 300;

/** Every answer to hostile input: never a 5xx; every 4xx a well-formed problem. */
async function expectSane(res: Response, what: string): Promise<void> {
  const text = await res.text();
  expect(res.status, `${what} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get('content-type'), what).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(typeof body['type'], what).toBe('string');
    expect(typeof body['title'], what).toBe('string');
    expect(body['status'], what).toBe(res.status);
  }
}

const SQL = [
  "' OR 1=1 --",
  '"; DROP TABLE products; --',
  '1; DELETE FROM products',
  "') UNION SELECT * FROM orders --",
  'rose" OR "1"="1',
  'NEAR(rose tulip)',
  'rose*',
  '"rose',
  'name:rose',
  '^rose',
  'rose AND NOT tulip',
];
const KEYISH = [
  'product:1',
  '{product:1}',
  '}product:1{',
  'product%3A1',
  '%7Bproduct:1%7D',
  ':',
  '::',
  '{',
  '}',
  '#',
  '%',
  '%%',
  '%00',
  '%ff',
  '%E0%A4%A',
  '..',
  '../..',
  'search:x:1:2',
];
const NUMBERS = [
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '0',
  '-0',
  '1e309',
  '1e3',
  '0x10',
  '1.5',
  ' 1',
  '1 ',
  '+1',
  '9'.repeat(30),
  '9007199254740993',
  '-9223372036854775809',
  '',
];

const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.constantFrom(
    ...SQL,
    ...KEYISH,
    ...NUMBERS,
    '\u0000',
    '\u0007\u001b[2J',
    '\u202e',
    '\ud83c\udf39',
    'x'.repeat(5_000),
  ),
  fc.bigInt().map(String),
  fc.double().map(String),
);

/** Percent-encodes whatever the URL parser would refuse; sometimes leaves reserved/percent text raw so it reaches the router as typed. */
function pathSegment(s: string, raw: boolean): string {
  if (raw && /^[\x21-\x7e]*$/.test(s) && !/[/?#\\]/.test(s)) return s;
  return encodeURIComponent(s);
}

const QUERY_KEYS = [
  'category',
  'q',
  'minPrice',
  'maxPrice',
  'inStock',
  'sort',
  'page',
  'limit',
  'key',
  'x',
  '__proto__',
  'constructor',
  'q[]',
  'limit[0]',
];
const queryString = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), hostileText, fc.boolean()), { maxLength: 8 })
  .map((pairs) => pairs.map(([k, v, raw]) => `${encodeURIComponent(k)}=${pathSegment(v, raw)}`).join('&'));

describe('hostile input never causes a 5xx, and every 4xx is a problem document', () => {
  test('path parameters of every route', async () => {
    const routes: ((p: string) => [string, string])[] = [
      (p) => ['GET', `/api/products/${p}`],
      (p) => ['GET', `/api/categories/${p}`],
      (p) => ['GET', `/api/orders/${p}`],
      (p) => ['PATCH', `/admin/products/${p}`],
      (p) => ['PATCH', `/admin/categories/${p}`],
      // DELETE only with text that can never be a real id or slug, so the catalogue stays whole.
      (p) => ['DELETE', `/admin/products/x${p}`],
      (p) => ['DELETE', `/admin/categories/~${p}`],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: routes.length - 1 }),
        hostileText,
        fc.boolean(),
        async (r, value, raw) => {
          const [method, path] = routes[r]!(pathSegment(value, raw));
          const init: RequestInit =
            method === 'GET'
              ? {}
              : {
                  method,
                  headers: adminHeaders,
                  body: method === 'PATCH' ? '{"price":{"amount":-1,"currency":"EUR"}}' : null,
                };
          await expectSane(await shop.request(path, init), `${method} ${path.slice(0, 120)}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('query strings: unicode, control characters, huge and non-finite numbers, repeated keys, long values', async () => {
    const paths = [
      '/api/products',
      '/api/products/popular',
      '/api/categories',
      '/api/products/1',
      '/admin/cache/inspect',
      '/admin/cache/stats',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), queryString, async (path, qs) => {
        const url = `${path}?${qs}`;
        await expectSane(
          await shop.request(url, path.startsWith('/admin') ? { headers: adminHeaders } : {}),
          `GET ${url.slice(0, 160)}`,
        );
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test('JSON bodies: anything, wrong types, deep nesting, huge arrays, not JSON at all', async () => {
    const deepArray = '['.repeat(10_000) + ']'.repeat(10_000);
    const deepObject = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const fixed = [
      deepArray,
      deepObject,
      `{"customer":${deepObject},"items":[]}`,
      `{"customer":{"name":"x","email":"x@example.com"},"items":${deepArray}}`,
      JSON.stringify({
        customer: { name: 'x', email: 'x@example.com' },
        items: Array.from({ length: 20_000 }, () => ({ productId: 1, quantity: 1 })),
      }),
      JSON.stringify({
        customer: { name: 'x', email: 'x@example.com' },
        items: Array.from({ length: 2_000 }, () => ({ productId: 1, quantity: 1 })),
      }),
      `[${'1,'.repeat(30_000)}1]`,
      JSON.stringify({
        customer: { name: "' OR 1=1 --", email: 'a@b.co' },
        items: [{ productId: '1; DROP TABLE products', quantity: 1 }],
      }),
      JSON.stringify({ customer: { name: 'x', email: 'x@example.com' }, items: [{ productId: 1e308, quantity: -0 }] }),
      JSON.stringify({
        customer: { name: 'x', email: 'x@example.com' },
        items: [{ productId: 1, quantity: 1 }],
        __proto__: { admin: true },
      }),
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
      `{"keys":[{"prefix":"product","parts":[${'"x",'.repeat(20)}"x"]}]}`,
      '',
      'null',
      '"string"',
      '{',
      '\u0000',
      '{"a":1}{"b":2}',
      '\ufeff{}',
    ];
    const body = fc.oneof(
      fc.constantFrom(...fixed),
      fc.anything().map((v) => JSON.stringify(v) ?? 'undefined'),
      fc.json({ maxDepth: 6 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.record({ customer: fc.anything(), items: fc.anything() }).map((v) => JSON.stringify(v) ?? '{}'),
      fc
        .record({ price: fc.anything(), stock: fc.anything(), name: hostileText }, { requiredKeys: [] })
        .map((v) => JSON.stringify(v)),
      fc
        .record({ keys: fc.anything(), prefixes: fc.anything(), tags: fc.anything() }, { requiredKeys: [] })
        .map((v) => JSON.stringify(v) ?? '{}'),
    );
    const targets = [
      ['POST', '/api/orders'],
      ['POST', '/admin/products'],
      ['PATCH', '/admin/products/1'],
      ['POST', '/admin/categories'],
      ['PATCH', '/admin/categories/roses'],
      ['POST', '/admin/cache/invalidate'],
    ] as const;
    const contentTypes = [
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
      '',
    ];
    // The worst cases on every target, not only when the generator happens to draw them.
    for (const [method, path] of targets) {
      for (const payload of fixed) {
        const res = await shop.request(path, { method, headers: adminHeaders, body: payload });
        await expectSane(res, `${method} ${path} ${payload.slice(0, 80)}`);
      }
    }
    const idempotency = fc.option(
      fc.string({ unit: 'binary-ascii', maxLength: 300 }).filter((s) => /^[\t\x20-\x7e]*$/.test(s)),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        body,
        fc.constantFrom(...contentTypes),
        idempotency,
        async ([method, path], payload, contentType, key) => {
          const headers: Record<string, string> = { authorization: adminHeaders.authorization };
          if (contentType) headers['content-type'] = contentType;
          if (key !== undefined) headers['idempotency-key'] = key;
          const res = await shop.request(path, { method, headers, body: payload });
          await expectSane(res, `${method} ${path} ${contentType} ${payload.slice(0, 80)}`);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  test('unknown routes and methods', async () => {
    for (const [method, path] of [
      ['PUT', '/api/products/1'],
      ['DELETE', '/api/orders'],
      ['GET', '/api'],
      ['GET', '/%'],
      ['GET', '/api/products/1/..%2F..%2Fadmin'],
      ['POST', '/metrics'],
      ['OPTIONS', '/api/products'],
      ['HEAD', '/api/products/1'],
    ] as const) {
      await expectSane(await shop.request(path, { method }), `${method} ${path}`);
    }
  });
});

describe('SQL injection and cache keys', () => {
  test('SQL injection text in q returns normal results and leaves every table intact', async () => {
    const tables = () =>
      sqliteDb(shop.service)
        .prepare("SELECT name FROM sqlite_master WHERE type IN ('table','trigger','index') ORDER BY name")
        .all();
    const count = () =>
      sqliteDb(shop.service)
        .prepare(
          'SELECT (SELECT COUNT(*) FROM products) AS p, (SELECT COUNT(*) FROM categories) AS c, (SELECT COUNT(*) FROM orders) AS o',
        )
        .get();
    const schemaBefore = tables();
    const countsBefore = count();
    for (const q of SQL) {
      const res = await shop.request(`/api/products?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      const page = (await res.json()) as { items: unknown[]; total: number };
      expect(Array.isArray(page.items)).toBe(true);
      // Injected OR clauses would match everything; the query must stay a word search.
      expect(page.total, q).toBeLessThan((countsBefore as { p: number }).p);
    }
    expect(tables()).toEqual(schemaBefore);
    expect(count()).toEqual(countsBefore);
  });

  test("search text shaped like another prefix's key cannot change what that key holds", async () => {
    const productBefore = await shop.request('/api/products/1');
    const bodyBefore = await productBefore.text();
    await shop.request('/api/products/1');
    const inspect = async () =>
      (await (await shop.request('/admin/cache/inspect?key=product%3A1', { headers: adminHeaders })).json()) as {
        l1: { present: boolean };
        l2: { present: boolean; bytes?: number };
      };
    // A bus gap (the tests' 250 ms heartbeat missing three beats on a loaded machine) drops L1 by
    // design; the L1 checks below apply when none happened meanwhile, the L2 and body checks always.
    const gaps = () => {
      const bus = shop.service.cache.status().bus;
      return 'gaps' in bus ? bus.gaps : 0;
    };
    const gapsBefore = gaps();
    const inspectedBefore = await inspect();
    if (gaps() === gapsBefore) expect(inspectedBefore.l1.present).toBe(true);
    expect(inspectedBefore.l2.present).toBe(true);

    for (const q of [...KEYISH, 'product:1}', '1', 'x}:product:1', '\u0000product:1']) {
      for (const extra of ['', '&sort=newest', '&page=1&limit=1']) {
        const res = await shop.request(`/api/products?q=${encodeURIComponent(q)}${extra}`);
        expect(res.status).toBeLessThan(500);
      }
    }
    // Invalidating search keys built from the same text leaves the product alone.
    const inv = await shop.request('/admin/cache/invalidate', {
      method: 'POST',
      headers: adminHeaders,
      body: JSON.stringify({ keys: KEYISH.map((k) => ({ prefix: 'search', parts: [k] })) }),
    });
    expect(inv.status).toBe(200);
    const keys = ((await inv.json()) as { invalidated: { keys: string[] } }).invalidated.keys;
    expect(keys.every((k) => k.startsWith('search:') && !k.includes('{') && !k.includes('}'))).toBe(true);

    const after = await shop.request('/api/products/1');
    expect(await after.text()).toBe(bodyBefore);
    const inspectedAfter = await inspect();
    if (gaps() === gapsBefore) {
      expect(after.headers.get('cache-status')).toMatch(/^shop-l1; hit/);
      expect(inspectedAfter.l1.present).toBe(true);
    }
    expect(inspectedAfter.l2).toMatchObject({ present: true, bytes: inspectedBefore.l2.bytes });
  });

  test('buildKey: distinct (prefix, parts) never give the same full key (property)', () => {
    const registry = new PrefixRegistry(shopCachePolicies());
    const prefix = fc.constantFrom(...registry.all());
    const part = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom(...KEYISH, '', ':', '%3A', '#', '#abc'),
      fc.string({ unit: 'binary-ascii', minLength: 150, maxLength: 250 }),
      fc.integer(),
      fc.boolean(),
    );
    // At least one part: every key the service builds has one (and [] and [''] both name `prefix:`).
    const key = fc.tuple(prefix, fc.array(part, { minLength: 1, maxLength: 5 }));
    fc.assert(
      fc.property(key, key, ([pa, partsA], [pb, partsB]) => {
        const same =
          pa.name === pb.name &&
          partsA.length === partsB.length &&
          partsA.every((p, i) => String(p) === String(partsB[i]));
        const fa = buildKey(pa, partsA).full;
        const fb = buildKey(pb, partsB).full;
        if (same) expect(fa).toBe(fb);
        else expect(fa).not.toBe(fb);
        // No user text opens a Redis hash tag or a second separator inside the prefix.
        expect(fa.startsWith(`${pa.name}:`)).toBe(true);
        expect(fa).not.toMatch(/[{}]/);
      }),
      { numRuns: 5_000 },
    );
    // The near-miss cases a shrinker might not reach, asserted directly.
    const product = registry.get('product');
    const search = registry.get('search');
    const pairs: [Parameters<typeof buildKey>, Parameters<typeof buildKey>][] = [
      [
        [product, ['a:b']],
        [product, ['a', 'b']],
      ],
      [
        [product, ['a%3Ab']],
        [product, ['a:b']],
      ],
      [
        [search, ['product:1']],
        [product, [1]],
      ],
      [
        [product, ['x'.repeat(200)]],
        [product, ['x'.repeat(201)]],
      ],
      [
        [product, [`#${'a'.repeat(43)}`]],
        [product, ['y'.repeat(200)]],
      ],
    ];
    for (const [x, y] of pairs) expect(buildKey(...x).full).not.toBe(buildKey(...y).full);
  });
});
