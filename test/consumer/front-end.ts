import createClient from 'openapi-fetch';
import type { components, paths } from './generated/api.ts';

/**
 * A front end's main flows, written only against the client generated from /openapi.json
 * (openapi-typescript + openapi-fetch): the test type-checks this file against the live
 * document, then runs it against the real server. Every body it reads is typed by the document.
 */
type Product = components['schemas']['Product'];

export interface FrontEndReport {
  categories: number;
  categoryPage: { category: string; page: number; items: number; total: number; nextLink: string | null };
  search: { q: string; hits: number };
  product: { id: number; etag: string; revalidatedStatus: number };
  order: { id: string; location: string | null; replayed: string | null; sameOrder: boolean; total: number };
  shortage: { productId: number; requested: number; available: number }[];
  invalid: { name: string; reason: string }[];
  unknownProductIds: number[];
}

export async function runFrontEnd(baseUrl: string): Promise<FrontEndReport> {
  const api = createClient<paths>({ baseUrl });

  // 1. Categories for the navigation.
  const categories = await api.GET('/api/categories');
  if (!categories.data) throw new Error(`categories: ${categories.response.status}`);
  const category = categories.data.items.find((c) => c.productCount > 5);
  if (!category) throw new Error('no category with products');

  // 2. The second page of that category.
  const page = await api.GET('/api/products', {
    params: { query: { category: category.slug, page: 2, limit: 2, sort: 'price_asc' } },
  });
  if (!page.data) throw new Error(`page: ${page.response.status}`);

  // 3. Search by a word of a product's name.
  const first: Product | undefined = page.data.items[0];
  if (!first) throw new Error('empty page');
  const q = first.name.split(/\s+/)[0] ?? first.name;
  const search = await api.GET('/api/products', { params: { query: { q, inStock: '1' } } });
  if (!search.data) throw new Error(`search: ${search.response.status}`);

  // 4. Open a product, then revalidate it with its ETag: a 304 is not an error for a cache.
  const opened = await api.GET('/api/products/{id}', { params: { path: { id: String(first.id) } } });
  const etag = opened.response.headers.get('etag');
  if (!opened.data || !etag) throw new Error(`product: ${opened.response.status}`);
  const revalidated = await api.GET('/api/products/{id}', {
    params: { path: { id: String(first.id) }, header: { 'if-none-match': etag } },
  });

  // 5. Order with an Idempotency-Key, and retry it as a flaky network would.
  const key = `fe-${first.id}-${Date.now()}`;
  const orderBody: components['schemas']['NewOrder'] = {
    customer: { name: 'Front End', email: 'front@example.org' },
    items: [{ productId: first.id, quantity: 1 }],
  };
  const placed = await api.POST('/api/orders', { params: { header: { 'idempotency-key': key } }, body: orderBody });
  const retried = await api.POST('/api/orders', { params: { header: { 'idempotency-key': key } }, body: orderBody });
  if (!placed.data || !retried.data) throw new Error(`order: ${placed.response.status}/${retried.response.status}`);

  // 6. 409: more than there is; the problem's items are typed.
  const tooMany = await api.POST('/api/orders', {
    body: { ...orderBody, items: [{ productId: first.id, quantity: 1000 }] },
  });
  const shortage = tooMany.error && 'items' in tooMany.error ? tooMany.error.items : [];

  // 7. 400: invalid input; each offending field is named.
  const invalid = await api.POST('/api/orders', {
    body: { customer: { name: 'X', email: 'not-an-email' }, items: [{ productId: first.id, quantity: 0 }] },
  });
  const fieldErrors = invalid.error && 'errors' in invalid.error ? (invalid.error.errors ?? []) : [];

  // 8. 422: a product that does not exist.
  const unknown = await api.POST('/api/orders', {
    body: { ...orderBody, items: [{ productId: 987654321, quantity: 1 }] },
  });
  const unknownIds =
    unknown.error && 'unknownProductIds' in unknown.error ? (unknown.error.unknownProductIds ?? []) : [];

  return {
    categories: categories.data.items.length,
    categoryPage: {
      category: category.slug,
      page: page.data.page,
      items: page.data.items.length,
      total: page.data.total,
      nextLink: page.response.headers.get('link'),
    },
    search: { q, hits: search.data.total },
    product: { id: opened.data.id, etag, revalidatedStatus: revalidated.response.status },
    order: {
      id: placed.data.id,
      location: placed.response.headers.get('location'),
      replayed: retried.response.headers.get('idempotency-replayed'),
      sameOrder: retried.data.id === placed.data.id,
      total: placed.data.total.amount,
    },
    shortage: shortage.map((s) => ({ productId: s.productId, requested: s.requested, available: s.available })),
    invalid: fieldErrors.map((e) => ({ name: e.name, reason: e.reason })),
    unknownProductIds: unknownIds,
  };
}
