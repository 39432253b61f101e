import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Category, Product } from '../src/shop/types.ts';
import { BACKENDS, storeEnv, usePostgresServer } from './harness/backends.ts';
import {
  adminHeaders,
  startTestService,
  TEST_ADMIN_TOKEN,
  type TestService,
  testNamespace,
  waitFor,
} from './harness/service.ts';
import { storeRow } from './harness/store-sql.ts';

interface ProductPage {
  items: Product[];
  total: number;
}
interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { name: string }[];
}
interface Inspection {
  key: string;
  prefix: string;
  l1: { present: boolean; freshForMs?: number };
  l2: { present: boolean; ttlMs?: number; slot?: number; node?: string };
}

async function expectProblem(res: Response, status: number): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as ProblemBody;
  expect(body).toMatchObject({
    status,
    type: expect.stringMatching(/^\/problems\//),
    title: expect.any(String),
    detail: expect.any(String),
  });
  return body;
}

/** One request per admin route, with a body valid enough to get past routing. */
const ADMIN_ROUTES: { method: string; path: string; body?: unknown }[] = [
  {
    method: 'POST',
    path: '/admin/products',
    body: { sku: 'X-1', name: 'X', category: 'roses', price: { amount: 1, currency: 'EUR' }, stock: 1 },
  },
  { method: 'PATCH', path: '/admin/products/1', body: { stock: 1 } },
  { method: 'DELETE', path: '/admin/products/1' },
  { method: 'POST', path: '/admin/categories', body: { slug: 'x', name: 'X' } },
  { method: 'PATCH', path: '/admin/categories/roses', body: { name: 'X' } },
  { method: 'DELETE', path: '/admin/categories/roses' },
  { method: 'GET', path: '/admin/cache/stats' },
  { method: 'GET', path: '/admin/cache/inspect?key=product:1' },
  { method: 'POST', path: '/admin/cache/invalidate', body: { prefixes: ['product'] } },
];

function adminRequest(
  shop: TestService,
  route: (typeof ADMIN_ROUTES)[number],
  headers: Record<string, string>,
): Promise<Response> {
  return shop.request(route.path, {
    method: route.method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(route.body !== undefined ? { body: JSON.stringify(route.body) } : {}),
  });
}

const postgres = usePostgresServer();

describe.each(BACKENDS)('admin API on %s', (backend) => {
  let shop: TestService;

  beforeAll(async () => {
    shop = await startTestService({ namespace: testNamespace(), env: await storeEnv(backend, postgres) });
  });
  afterAll(async () => {
    await shop?.close();
  });

  const get = async <T>(path: string): Promise<T> => {
    const res = await shop.request(path);
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const send = (method: string, path: string, body?: unknown) =>
    shop.request(path, {
      method,
      headers: adminHeaders,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  describe('authentication', () => {
    it.each(ADMIN_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
      '%s: 401 with WWW-Authenticate without a token',
      async (_name, route) => {
        const res = await adminRequest(shop, route, {});
        await expectProblem(res, 401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
        const basic = await adminRequest(shop, route, {
          authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}`,
        });
        await expectProblem(basic, 401);
      },
    );

    it.each(ADMIN_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
      '%s: 403 with a wrong token',
      async (_name, route) => {
        await expectProblem(
          await adminRequest(shop, route, { authorization: 'Bearer not-the-admin-token-0123456789' }),
          403,
        );
        await expectProblem(await adminRequest(shop, route, { authorization: `Bearer ${TEST_ADMIN_TOKEN}x` }), 403);
      },
    );

    it('changes nothing when refused', async () => {
      const before = await get<Product>('/api/products/1');
      await adminRequest(shop, ADMIN_ROUTES[1]!, { authorization: 'Bearer wrong' });
      await adminRequest(shop, ADMIN_ROUTES[2]!, {});
      expect(await storeRow(shop.service, 'SELECT stock FROM products WHERE id = 1')).toEqual({ stock: before.stock });
    });

    it('has no admin routes at all when ADMIN_TOKEN is unset', async () => {
      const open = await startTestService({
        namespace: testNamespace(),
        env: { ...(await storeEnv(backend, postgres)), ADMIN_TOKEN: '' },
      });
      try {
        for (const route of ADMIN_ROUTES) {
          const res = await adminRequest(open, route, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
          await expectProblem(res, 404);
        }
        expect((await open.request('/api/products/1')).status).toBe(200);
      } finally {
        await open.close();
      }
    });
  });

  describe('products', () => {
    it('creates a product that reads back, lists in its category and counts there', async () => {
      const rosesBefore = await get<Category>('/api/categories/roses');
      const listBefore = await get<ProductPage>('/api/products?category=roses&limit=1');
      const searchBefore = await get<ProductPage>('/api/products?q=moonlit');
      expect(searchBefore.total).toBe(0);

      const sku = `NEW-${randomBytes(4).toString('hex')}`;
      const res = await send('POST', '/admin/products', {
        sku,
        name: 'Moonlit garden rose',
        description: 'A pale rose that opens at dusk.',
        category: 'roses',
        price: { amount: 5_500, currency: 'EUR' },
        stock: 12,
        attributes: { colour: 'white', stemCount: 9 },
      });
      expect(res.status).toBe(201);
      const created = (await res.json()) as Product;
      expect(created).toMatchObject({
        sku,
        slug: expect.stringMatching(/^moonlit-garden-rose/),
        category: { slug: 'roses', name: 'Roses' },
        price: { amount: 5_500 },
        stock: 12,
      });

      expect(await get<Product>(`/api/products/${created.id}`)).toEqual(created);
      expect((await get<Category>('/api/categories/roses')).productCount).toBe(rosesBefore.productCount + 1);
      expect((await get<ProductPage>('/api/products?category=roses&limit=1')).total).toBe(listBefore.total + 1);
      expect((await get<ProductPage>('/api/products?q=moonlit')).items.map((p) => p.id)).toEqual([created.id]);

      await expectProblem(
        await send('POST', '/admin/products', {
          sku,
          name: 'Duplicate',
          category: 'roses',
          price: { amount: 1, currency: 'EUR' },
          stock: 1,
        }),
        409,
      );
      await expectProblem(
        await send('POST', '/admin/products', {
          sku: `${sku}-2`,
          name: 'Nowhere',
          category: 'no-such-category',
          price: { amount: 1, currency: 'EUR' },
          stock: 1,
        }),
        422,
      );
      await expectProblem(
        await send('POST', '/admin/products', {
          sku: `${sku}-3`,
          name: 'Cheap',
          category: 'roses',
          price: { amount: -1, currency: 'EUR' },
          stock: 1,
        }),
        400,
      );
    });

    it('shows a price change at once on a product read before it and on a listing page that shows it', async () => {
      const id = 5;
      const before = await get<Product>(`/api/products/${id}`);
      expect((await shop.request(`/api/products/${id}`)).headers.get('cache-status')).toMatch(/^shop-l1; hit/);
      const listing = `/api/products?category=${before.category.slug}&limit=100`;
      expect((await get<ProductPage>(listing)).items.find((p) => p.id === id)?.price.amount).toBe(before.price.amount);
      // An unfiltered catalogue page (tagged for every category) that lists it; newest-first keeps its place whatever its price.
      let everything = '';
      for (let n = 1; n <= 4 && everything === ''; n++) {
        const url = `/api/products?sort=newest&limit=100&page=${n}`;
        if ((await get<ProductPage>(url)).items.some((p) => p.id === id)) everything = url;
      }
      expect(everything).not.toBe('');

      const amount = before.price.amount + 777;
      const res = await send('PATCH', `/admin/products/${id}`, { price: { amount, currency: 'EUR' } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as Product).price.amount).toBe(amount);

      expect((await get<Product>(`/api/products/${id}`)).price.amount).toBe(amount);
      expect((await get<ProductPage>(listing)).items.find((p) => p.id === id)?.price.amount).toBe(amount);
      expect((await get<ProductPage>(everything)).items.find((p) => p.id === id)?.price.amount).toBe(amount);
    });

    it('updates stock, name, description and category, each visible on the next read', async () => {
      const id = 6;
      const before = await get<Product>(`/api/products/${id}`);
      const target = before.category.slug === 'succulents' ? 'gifts' : 'succulents';
      const fromCount = (await get<Category>(`/api/categories/${before.category.slug}`)).productCount;
      const toCount = (await get<Category>(`/api/categories/${target}`)).productCount;
      await get<ProductPage>(`/api/products?category=${target}&limit=100`);
      await get<ProductPage>('/api/products?q=zanzibar');

      const res = await send('PATCH', `/admin/products/${id}`, {
        stock: 321,
        name: 'Zanzibar star',
        description: 'Renamed for the test.',
        category: target,
      });
      expect(res.status).toBe(200);

      expect(await get<Product>(`/api/products/${id}`)).toMatchObject({
        stock: 321,
        name: 'Zanzibar star',
        description: 'Renamed for the test.',
        category: { slug: target },
      });
      expect((await get<Category>(`/api/categories/${before.category.slug}`)).productCount).toBe(fromCount - 1);
      expect((await get<Category>(`/api/categories/${target}`)).productCount).toBe(toCount + 1);
      expect((await get<ProductPage>(`/api/products?category=${target}&limit=100`)).items.map((p) => p.id)).toContain(
        id,
      );
      expect((await get<ProductPage>('/api/products?q=zanzibar')).items.map((p) => p.id)).toEqual([id]);

      await expectProblem(await send('PATCH', `/admin/products/${id}`, {}), 400);
      await expectProblem(await send('PATCH', `/admin/products/${id}`, { stock: -1 }), 400);
      await expectProblem(await send('PATCH', '/admin/products/999999', { stock: 1 }), 404);
      await expectProblem(await send('PATCH', `/admin/products/${id}`, { category: 'no-such-category' }), 422);
    });

    it('deletes a product: gone on the next read, from listings and counts', async () => {
      const id = 7;
      const before = await get<Product>(`/api/products/${id}`);
      const count = (await get<Category>(`/api/categories/${before.category.slug}`)).productCount;
      const total = (await get<ProductPage>('/api/products?limit=1')).total;

      const res = await send('DELETE', `/admin/products/${id}`);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');

      await expectProblem(await shop.request(`/api/products/${id}`), 404);
      expect((await get<Category>(`/api/categories/${before.category.slug}`)).productCount).toBe(count - 1);
      expect((await get<ProductPage>('/api/products?limit=1')).total).toBe(total - 1);
      await expectProblem(await send('DELETE', `/admin/products/${id}`), 404);
    });
  });

  describe('categories', () => {
    it('creates, renames and deletes a category, each visible on the next read', async () => {
      const listBefore = (await get<{ items: Category[] }>('/api/categories')).items;
      await expectProblem(await shop.request('/api/categories/ikebana'), 404);

      const created = await send('POST', '/admin/categories', {
        slug: 'ikebana',
        name: 'Ikebana',
        description: 'Japanese arrangements.',
      });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ slug: 'ikebana', name: 'Ikebana', productCount: 0 });
      await expectProblem(await send('POST', '/admin/categories', { slug: 'ikebana', name: 'Again' }), 409);

      expect(await get<Category>('/api/categories/ikebana')).toMatchObject({ name: 'Ikebana', productCount: 0 });
      const listAfter = (await get<{ items: Category[] }>('/api/categories')).items;
      expect(listAfter).toHaveLength(listBefore.length + 1);
      expect(listAfter.map((c) => c.slug)).toContain('ikebana');

      const renamed = await send('PATCH', '/admin/categories/ikebana', { name: 'Ikebana & kenzan' });
      expect(renamed.status).toBe(200);
      expect((await get<Category>('/api/categories/ikebana')).name).toBe('Ikebana & kenzan');
      await expectProblem(await send('PATCH', '/admin/categories/no-such-category', { name: 'X' }), 404);

      const deleted = await send('DELETE', '/admin/categories/ikebana');
      expect(deleted.status).toBe(204);
      await expectProblem(await shop.request('/api/categories/ikebana'), 404);
      expect((await get<{ items: Category[] }>('/api/categories')).items.map((c) => c.slug)).toEqual(
        listBefore.map((c) => c.slug),
      );
      await expectProblem(await send('DELETE', '/admin/categories/ikebana'), 404);
    });

    it('renaming a category shows the new name inside products read before the rename', async () => {
      const product = (await get<ProductPage>('/api/products?category=lilies&limit=1')).items[0]!;
      await get<Product>(`/api/products/${product.id}`);
      expect((await send('PATCH', '/admin/categories/lilies', { name: 'Lilies & callas' })).status).toBe(200);
      expect((await get<Product>(`/api/products/${product.id}`)).category).toEqual({
        slug: 'lilies',
        name: 'Lilies & callas',
      });
      expect((await get<ProductPage>('/api/products?category=lilies&limit=1')).items[0]!.category.name).toBe(
        'Lilies & callas',
      );
    });

    it('refuses to delete a category that still has products (409), and deletes it once emptied', async () => {
      await expectProblem(await send('DELETE', '/admin/categories/roses'), 409);
      expect((await get<Category>('/api/categories/roses')).productCount).toBeGreaterThan(0);

      expect((await send('POST', '/admin/categories', { slug: 'short-lived', name: 'Short-lived' })).status).toBe(201);
      const p = await send('POST', '/admin/products', {
        sku: `SL-${randomBytes(4).toString('hex')}`,
        name: 'Mayfly',
        category: 'short-lived',
        price: { amount: 100, currency: 'EUR' },
        stock: 1,
      });
      const product = (await p.json()) as Product;
      expect((await get<Category>('/api/categories/short-lived')).productCount).toBe(1);
      await expectProblem(await send('DELETE', '/admin/categories/short-lived'), 409);
      expect((await send('DELETE', `/admin/products/${product.id}`)).status).toBe(204);
      expect((await get<Category>('/api/categories/short-lived')).productCount).toBe(0);
      expect((await send('DELETE', '/admin/categories/short-lived')).status).toBe(204);
    });
  });

  describe('cache administration', () => {
    it('reports statistics for every prefix and both tiers', async () => {
      const res = await send('GET', '/admin/cache/stats');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const stats = (await res.json()) as {
        status: { l1: { entries: number }; l2: { circuit: string } };
        prefixes: Record<string, { freshMs: number }>;
        counters: unknown;
      };
      expect(Object.keys(stats.prefixes).sort()).toEqual(['catalog', 'category', 'popular', 'product', 'search']);
      expect(stats.prefixes.product!.freshMs).toBe(300_000);
      expect(stats.status.l1.entries).toBeGreaterThan(0);
      expect(stats.status.l2.circuit).toBe('closed');
      expect(stats.counters).toBeTypeOf('object');
    });

    it('inspects a key after a read: present in L1 and in L2, with its slot and node', async () => {
      const id = 11;
      await get<Product>(`/api/products/${id}`);
      let seen: Inspection | undefined;
      await waitFor(
        async () => {
          seen = (await (await send('GET', `/admin/cache/inspect?key=product:${id}`)).json()) as Inspection;
          return seen.l1.present && seen.l2.present;
        },
        5_000,
        'product key in both tiers',
      );
      expect(seen).toMatchObject({
        key: `product:${id}`,
        prefix: 'product',
        l1: { present: true },
        l2: { present: true },
      });
      expect(seen!.l2.slot).toBeGreaterThanOrEqual(0);
      expect(seen!.l2.slot).toBeLessThan(16_384);
      expect(seen!.l2.node).toMatch(/^[\d.]+:\d+$/);
      expect(seen!.l2.ttlMs).toBeGreaterThan(0);

      const cold = (await (await send('GET', '/admin/cache/inspect?key=product:999998')).json()) as Inspection;
      expect(cold).toMatchObject({ l1: { present: false }, l2: { present: false } });
    });

    it('invalidates one key: the next read is a miss in both tiers', async () => {
      const id = 12;
      await get<Product>(`/api/products/${id}`);
      expect((await shop.request(`/api/products/${id}`)).headers.get('cache-status')).toMatch(/^shop-l1; hit/);
      const res = await send('POST', '/admin/cache/invalidate', { keys: [{ prefix: 'product', parts: [id] }] });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ invalidated: { keys: [`product:${id}`], prefixes: [], tags: [] } });
      const inspected = (await (await send('GET', `/admin/cache/inspect?key=product:${id}`)).json()) as Inspection;
      expect(inspected.l1.present).toBe(false);
      const next = await shop.request(`/api/products/${id}`);
      expect(next.headers.get('cache-status')).not.toMatch(/; hit/);
    });

    it('invalidates a whole prefix: the next read of any of its keys is not an L1 hit', async () => {
      for (const id of [13, 14]) await get<Product>(`/api/products/${id}`);
      await get<Category>('/api/categories/roses');
      const res = await send('POST', '/admin/cache/invalidate', { prefixes: ['product'] });
      expect(res.status).toBe(200);
      for (const id of [13, 14]) {
        const next = await shop.request(`/api/products/${id}`);
        expect(next.headers.get('cache-status'), `product ${id}`).not.toMatch(/; hit/);
      }
      // Other prefixes are untouched.
      expect((await shop.request('/api/categories/roses')).headers.get('cache-status')).toMatch(/^shop-l1; hit/);
    });

    it('invalidates by tag: pages of that category miss, others still hit', async () => {
      const tulips = '/api/products?category=tulips&limit=5';
      const orchids = '/api/products?category=orchids&limit=5';
      await get<ProductPage>(tulips);
      await get<ProductPage>(orchids);
      expect((await shop.request(tulips)).headers.get('cache-status')).toMatch(/^shop-l1; hit/);
      const res = await send('POST', '/admin/cache/invalidate', { tags: ['catalog:cat:tulips'] });
      expect(res.status).toBe(200);
      expect((await shop.request(tulips)).headers.get('cache-status')).not.toMatch(/; hit/);
      expect((await shop.request(orchids)).headers.get('cache-status')).toMatch(/^shop-l1; hit/);
    });

    it('400s an unknown prefix or an empty request', async () => {
      const body = await expectProblem(await send('POST', '/admin/cache/invalidate', { prefixes: ['flowers'] }), 400);
      expect(body.errors).toEqual([expect.objectContaining({ in: 'body', name: 'prefixes.0' })]);
      await expectProblem(await send('POST', '/admin/cache/invalidate', {}), 400);
      await expectProblem(
        await send('POST', '/admin/cache/invalidate', { keys: [{ prefix: 'nope', parts: [1] }] }),
        400,
      );
    });
  });
});
