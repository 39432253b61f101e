import createClient from 'openapi-fetch';
import type { paths } from './generated/api.ts';

/**
 * Mistakes the generated types must catch: each line below is a type error, and tsc fails if
 * any of them is not (so the type check of front-end.ts is not vacuous).
 */
export async function misuse(api = createClient<paths>({ baseUrl: 'http://localhost' })): Promise<void> {
  // @ts-expect-error no such operation
  await api.GET('/api/flowers');
  // @ts-expect-error the product id is required
  await api.GET('/api/products/{id}', { params: { path: {} } });
  // @ts-expect-error sort has a fixed set of values
  await api.GET('/api/products', { params: { query: { sort: 'cheapest' } } });
  // @ts-expect-error an order needs items
  await api.POST('/api/orders', { body: { customer: { name: 'A', email: 'a@example.org' } } });
  const failed = await api.POST('/api/orders', { body: { customer: { name: 'A', email: 'a@b.c' }, items: [] } });
  if (failed.error && 'items' in failed.error) {
    // @ts-expect-error a shortage's productId is a number
    const id: string = failed.error.items[0]!.productId;
    void id;
  }
  if (failed.error && 'unknownProductIds' in failed.error) {
    // @ts-expect-error unknownProductIds is optional: it must be checked before use
    void failed.error.unknownProductIds.length;
  }
  // @ts-expect-error PATCH is an admin write: it has no public path
  await api.PATCH('/api/products/{id}', { params: { path: { id: '1' } }, body: {} });
}
