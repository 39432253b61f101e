import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from './harness/api-process.ts';
import { BACKENDS, storeEnv, usePostgresServer } from './harness/backends.ts';
import { adminHeaders, startTestService, type TestService } from './harness/service.ts';

/**
 * A unique constraint the database enforces (a category slug, a product sku taken) is counted as
 * db_errors_total{kind="conflict"} on both backends, as the API answers it with 409 on both; a
 * conflict the shop's own rules decide (a category that still has products) is no database error.
 */
const postgres = usePostgresServer();

for (const backend of BACKENDS)
  describe(`unique conflicts counted on ${backend}`, () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startTestService({ redis: false, env: await storeEnv(backend, postgres) });
    });
    afterAll(async () => {
      await svc?.close();
    });

    const send = (method: string, path: string, body?: unknown) =>
      svc.request(path, { method, headers: adminHeaders, ...(body ? { body: JSON.stringify(body) } : {}) });
    const errors = async (statement: string, kind?: string) =>
      metricValue(await (await svc.request('/metrics')).text(), 'db_errors_total', {
        backend,
        statement,
        ...(kind ? { kind } : {}),
      });

    it('a taken category slug and a taken sku are conflicts; a category with products is not a database error', async () => {
      expect((await send('POST', '/admin/categories', { slug: 'roses', name: 'Again' })).status).toBe(409);
      expect(await errors('create_category', 'conflict')).toBe(1);

      const product = { name: 'Twice', category: 'roses', price: { amount: 100, currency: 'EUR' }, stock: 1 };
      expect((await send('POST', '/admin/products', { ...product, sku: 'CONFLICT-1' })).status).toBe(201);
      expect((await send('POST', '/admin/products', { ...product, sku: 'CONFLICT-1' })).status).toBe(409);
      expect(await errors('create_product', 'conflict')).toBe(1);

      expect((await send('DELETE', '/admin/categories/roses')).status).toBe(409);
      expect(await errors('delete_category')).toBe(0);
    });
  });
