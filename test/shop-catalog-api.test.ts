import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Category, Product } from '../src/shop/types.ts';
import { BACKENDS, storeEnv, usePostgresServer } from './harness/backends.ts';
import { adminHeaders, startTestService, type TestService, testNamespace, waitFor } from './harness/service.ts';
import { storeRow, storeRows } from './harness/store-sql.ts';

interface ProductPage {
  items: Product[];
  page: number;
  limit: number;
  total: number;
}
interface Popular {
  items: { product: Product; unitsSold: number }[];
}
interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { in: string; name: string; reason: string }[];
}

const SEEDED = 300;

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Every client error is an RFC 9457 problem; validation problems name the offending field. */
async function expectProblem(res: Response, status: number, field?: string): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await json<ProblemBody>(res);
  expect(body).toMatchObject({
    status,
    type: expect.stringMatching(/^\/problems\/[a-z-]+$/),
    title: expect.any(String),
    detail: expect.any(String),
  });
  if (field !== undefined) {
    expect(body.errors?.map((e) => e.name)).toContain(field);
  }
  return body;
}

const postgres = usePostgresServer();

describe.each(BACKENDS)('catalogue API on %s', (backend) => {
  let shop: TestService;

  beforeAll(async () => {
    shop = await startTestService({ namespace: testNamespace(), env: await storeEnv(backend, postgres) });
  });
  afterAll(async () => {
    await shop?.close();
  });

  async function page(query: string): Promise<ProductPage> {
    const res = await shop.request(`/api/products?${query}`);
    expect(res.status, query).toBe(200);
    return json<ProductPage>(res);
  }

  describe('categories', () => {
    it('lists every seeded category, with counts that add up to the catalogue', async () => {
      const res = await shop.request('/api/categories');
      expect(res.status).toBe(200);
      const { items } = await json<{ items: Category[] }>(res);
      const slugs = items.map((c) => c.slug);
      for (const slug of [
        'roses',
        'tulips',
        'peonies',
        'orchids',
        'bouquets',
        'wedding',
        'house-plants',
        'succulents',
        'gifts',
        'seasonal',
      ]) {
        expect(slugs).toContain(slug);
      }
      expect(items.reduce((sum, c) => sum + c.productCount, 0)).toBe(SEEDED);
      expect((await page('limit=1')).total).toBe(SEEDED);
    });

    it('answers one category by slug, with a count matching a filtered listing', async () => {
      const res = await shop.request('/api/categories/roses');
      expect(res.status).toBe(200);
      const roses = await json<Category>(res);
      expect(roses).toMatchObject({ slug: 'roses', name: 'Roses' });
      expect(roses.productCount).toBeGreaterThan(0);
      expect((await page('category=roses&limit=1')).total).toBe(roses.productCount);
    });

    it('404s an unknown category and 400s a malformed slug', async () => {
      await expectProblem(await shop.request('/api/categories/no-such-category'), 404);
      await expectProblem(await shop.request('/api/categories/Roses!'), 400, 'slug');
    });
  });

  describe('products listing', () => {
    it('filters by category', async () => {
      const tulips = await page('category=tulips&limit=100');
      expect(tulips.items.length).toBeGreaterThan(0);
      expect(tulips.items.every((p) => p.category.slug === 'tulips')).toBe(true);
      expect(tulips.total).toBe(tulips.items.length);
    });

    it('searches name and description, and an unmatched word finds nothing', async () => {
      const found = await page('q=rose&limit=100');
      expect(found.total).toBeGreaterThan(0);
      for (const p of found.items) expect(`${p.name} ${p.description}`.toLowerCase()).toMatch(/\brose/);
      // Words only in descriptions are found too: every seeded description says "collection".
      expect((await page('q=collection&limit=1')).total).toBe(SEEDED);
      expect((await page('q=zzyzxnotaflower')).total).toBe(0);
    });

    it('keeps every item within minPrice and maxPrice', async () => {
      const all = await page('limit=100&sort=price_asc');
      const min = all.items[10]!.price.amount;
      const max = all.items[60]!.price.amount;
      const bounded = await page(`minPrice=${min}&maxPrice=${max}&limit=100`);
      expect(bounded.items.length).toBeGreaterThan(0);
      for (const p of bounded.items) {
        expect(p.price.amount).toBeGreaterThanOrEqual(min);
        expect(p.price.amount).toBeLessThanOrEqual(max);
      }
      expect(bounded.total).toBeLessThan(SEEDED);
      const above = await page(`minPrice=${max}&limit=100`);
      expect(above.items.every((p) => p.price.amount >= max)).toBe(true);
    });

    it('inStock=true lists only products with stock, and excludes one sold out by admin', async () => {
      const victim = (await page('limit=1&sort=newest')).items[0]!;
      const patched = await shop.request(`/admin/products/${victim.id}`, {
        method: 'PATCH',
        headers: adminHeaders,
        body: JSON.stringify({ stock: 0 }),
      });
      expect(patched.status).toBe(200);
      const inStock = await page('inStock=true&limit=100');
      expect(inStock.items.every((p) => p.stock > 0)).toBe(true);
      expect(inStock.total).toBeLessThan(SEEDED);
      const everything: Product[] = [];
      for (let n = 1; n <= 3; n++) everything.push(...(await page(`inStock=true&limit=100&page=${n}`)).items);
      expect(everything.map((p) => p.id)).not.toContain(victim.id);
    });

    it('sorts by every order it offers', async () => {
      const asc = (await page('sort=price_asc&limit=100')).items.map((p) => p.price.amount);
      expect(asc).toEqual([...asc].sort((a, b) => a - b));
      const desc = (await page('sort=price_desc&limit=100')).items.map((p) => p.price.amount);
      expect(desc).toEqual([...desc].sort((a, b) => b - a));
      expect(desc[0]).toBeGreaterThan(asc[0]!);
      const names = (await page('sort=name&limit=100')).items.map((p) => p.name);
      expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      const created = (await page('sort=newest&limit=100')).items.map((p) => p.createdAt);
      expect(created).toEqual([...created].sort().reverse());
    });

    it('pages through the whole catalogue with a consistent total and no repeats', async () => {
      const pages = [
        await page('limit=100&page=1'),
        await page('limit=100&page=2'),
        await page('limit=100&page=3'),
        await page('limit=100&page=4'),
      ];
      expect(pages.map((p) => [p.page, p.limit, p.total])).toEqual([
        [1, 100, SEEDED],
        [2, 100, SEEDED],
        [3, 100, SEEDED],
        [4, 100, SEEDED],
      ]);
      const ids = pages.flatMap((p) => p.items.map((i) => i.id));
      expect(ids).toHaveLength(SEEDED);
      expect(new Set(ids).size).toBe(SEEDED);
      const small = await page('limit=7&page=3');
      expect(small.items.map((p) => p.id)).toEqual(pages[0]!.items.slice(14, 21).map((p) => p.id));
      expect(await page('')).toMatchObject({ page: 1, limit: 24, total: SEEDED });
    });

    it.each([
      ['limit=101', 'limit'],
      ['limit=0', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=NaN', 'limit'],
      ['limit=1.5', 'limit'],
      ['page=0', 'page'],
      ['sort=cheapest', 'sort'],
      ['inStock=yes', 'inStock'],
      ['minPrice=-5', 'minPrice'],
      ['category=Roses!', 'category'],
      ['minPrice=5000&maxPrice=100', 'minPrice'],
    ])('rejects %s with a 400 problem naming %s', async (query, field) => {
      await expectProblem(await shop.request(`/api/products?${query}`), 400, field);
    });
  });

  describe('one product', () => {
    it('answers a product by id, and 404s an unknown one', async () => {
      const res = await shop.request('/api/products/42');
      expect(res.status).toBe(200);
      expect(await json<Product>(res)).toMatchObject({
        id: 42,
        price: { amount: expect.any(Number), currency: 'EUR' },
      });
      await expectProblem(await shop.request('/api/products/999999'), 404);
    });

    it.each(['abc', '0', '-1', '1.5', '99999999999999999999'])('400s the id %s', async (id) => {
      await expectProblem(await shop.request(`/api/products/${id}`), 400, 'id');
    });

    it('revalidates by ETag: If-None-Match answers 304 with no body, and a changed product gets a new ETag', async () => {
      const first = await shop.request('/api/products/43');
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^"[^"]+"$/);
      expect(first.headers.get('cache-control')).toMatch(/max-age=\d+/);
      expect(first.headers.get('cache-status')).toMatch(/^shop-l/);
      const again = await shop.request('/api/products/43', { headers: { 'if-none-match': etag! } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
      expect(again.headers.get('cache-status')).toMatch(/^shop-l1; hit/);

      const { price } = await json<Product>(first);
      const patch = await shop.request('/admin/products/43', {
        method: 'PATCH',
        headers: adminHeaders,
        body: JSON.stringify({ price: { ...price, amount: price.amount + 1 } }),
      });
      expect(patch.status).toBe(200);
      const changed = await shop.request('/api/products/43', { headers: { 'if-none-match': etag! } });
      expect(changed.status).toBe(200);
      expect(changed.headers.get('etag')).not.toBe(etag);
      expect((await json<Product>(changed)).price.amount).toBe(price.amount + 1);
    });

    it('gives listings and categories ETags and caching headers too', async () => {
      for (const path of [
        '/api/categories',
        '/api/categories/roses',
        '/api/products?category=roses',
        '/api/products/popular?limit=3',
      ]) {
        const res = await shop.request(path);
        expect(res.status, path).toBe(200);
        const etag = res.headers.get('etag');
        expect(etag, path).toBeTruthy();
        expect(res.headers.get('cache-control'), path).toMatch(/^public, max-age=\d+/);
        expect(res.headers.get('cache-status'), path).toBeTruthy();
        const revalidated = await shop.request(path, { headers: { 'if-none-match': etag! } });
        expect(revalidated.status, path).toBe(304);
        expect(await revalidated.text(), path).toBe('');
      }
    });

    it('reports a miss then an L1 hit in Cache-Status', async () => {
      // Best-seller reads warm their products' keys, so take one that cannot be among them.
      const cold = (await storeRow<{ id: number }>(
        shop.service,
        'SELECT MAX(id) AS id FROM products WHERE id NOT IN (SELECT product_id FROM order_items)',
      ))!;
      const first = await shop.request(`/api/products/${cold.id}`);
      expect(first.headers.get('cache-status')).toBe('shop-l2; fwd=miss; stored, shop-l1; fwd=miss; stored');
      const second = await shop.request(`/api/products/${cold.id}`);
      expect(second.headers.get('cache-status')).toMatch(/^shop-l1; hit; ttl=\d+$/);
    });
  });

  describe('best sellers', () => {
    it('ranks by units sold, matching the orders in the store', async () => {
      const res = await shop.request('/api/products/popular?limit=5');
      expect(res.status).toBe(200);
      const { items } = await json<Popular>(res);
      expect(items).toHaveLength(5);
      const sold = items.map((i) => i.unitsSold);
      expect(sold).toEqual([...sold].sort((a, b) => b - a));
      const expected = await storeRows<{ id: number; units: number }>(
        shop.service,
        'SELECT product_id AS id, SUM(quantity) AS units FROM order_items GROUP BY product_id ORDER BY units DESC, product_id ASC LIMIT 5',
      );
      expect(items.map((i) => [i.product.id, i.unitsSold])).toEqual(expected.map((e) => [e.id, e.units]));
      await expectProblem(await shop.request('/api/products/popular?limit=51'), 400, 'limit');
      await expectProblem(await shop.request('/api/products/popular?limit=0'), 400, 'limit');
    });

    it('shows an admin price change at once, though the ranking itself is cached', async () => {
      const before = await json<Popular>(await shop.request('/api/products/popular?limit=5'));
      const top = before.items[0]!.product;
      const newAmount = top.price.amount + 123;
      const patch = await shop.request(`/admin/products/${top.id}`, {
        method: 'PATCH',
        headers: adminHeaders,
        body: JSON.stringify({ price: { amount: newAmount, currency: top.price.currency } }),
      });
      expect(patch.status).toBe(200);
      const after = await json<Popular>(await shop.request('/api/products/popular?limit=5'));
      expect(after.items[0]!.product).toMatchObject({ id: top.id, price: { amount: newAmount } });
    });

    it('reflects a newly placed big order once the ranking expires', async () => {
      // Scaled TTLs (popular fresh for 30 ms) so the ranking's expiry needs no long wait.
      const fast = await startTestService({
        namespace: testNamespace(),
        env: { ...(await storeEnv(backend, postgres)), CACHE_TTL_SCALE: '0.001' },
      });
      try {
        const created = await fast.request('/admin/products', {
          method: 'POST',
          headers: adminHeaders,
          body: JSON.stringify({
            sku: 'BESTSELLER-1',
            name: 'Record-breaking peony',
            category: 'peonies',
            price: { amount: 4200, currency: 'EUR' },
            stock: 5000,
          }),
        });
        expect(created.status).toBe(201);
        const product = await json<Product>(created);
        const ranked = await json<Popular>(await fast.request('/api/products/popular?limit=5'));
        expect(ranked.items.map((i) => i.product.id)).not.toContain(product.id);

        const order = await fast.request('/api/orders', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            customer: { name: 'Wedding planner', email: 'planner@example.com' },
            items: [{ productId: product.id, quantity: 1000 }],
          }),
        });
        expect(order.status).toBe(201);
        await waitFor(
          async () => {
            const now = await json<Popular>(await fast.request('/api/products/popular?limit=5'));
            return now.items[0]?.product.id === product.id && now.items[0].unitsSold === 1000;
          },
          10_000,
          'the new best seller to top the ranking',
        );
      } finally {
        await fast.close();
      }
    });
  });

  describe('anything else', () => {
    it('answers an unknown route with a 404 problem', async () => {
      const body = await expectProblem(await shop.request('/api/flowers'), 404);
      expect(body.type).toBe('/problems/not-found');
      await expectProblem(await shop.request('/api/products/1/reviews'), 404);
    });
  });
});
