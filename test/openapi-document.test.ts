import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, storeEnv, usePostgresServer } from './harness/backends.ts';
import { startTestService, type TestService, testNamespace } from './harness/service.ts';

interface Schema {
  type?: string;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  $ref?: string;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
  security?: Record<string, string[]>[];
  tags?: string[];
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    securitySchemes: Record<string, { type: string; scheme: string }>;
    responses?: Record<string, Operation['responses'][string]>;
  };
}

const PUBLIC: Record<string, string[]> = {
  '/api/categories': ['get'],
  '/api/categories/{slug}': ['get'],
  '/api/products': ['get'],
  '/api/products/popular': ['get'],
  '/api/products/{id}': ['get'],
  '/api/orders': ['post'],
  '/api/orders/{id}': ['get'],
};
const ADMIN: Record<string, string[]> = {
  '/admin/products': ['post'],
  '/admin/products/{id}': ['patch', 'delete'],
  '/admin/categories': ['post'],
  '/admin/categories/{slug}': ['patch', 'delete'],
  '/admin/cache/stats': ['get'],
  '/admin/cache/inspect': ['get'],
  '/admin/cache/invalidate': ['post'],
};

const postgres = usePostgresServer();

describe.each(BACKENDS)('OpenAPI document on %s', (backend) => {
  let shop: TestService;
  let doc: Document;

  beforeAll(async () => {
    shop = await startTestService({ namespace: testNamespace(), env: await storeEnv(backend, postgres) });
    const res = await shop.request('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as Document;
  });
  afterAll(async () => {
    await shop?.close();
  });

  type Response = Operation['responses'][string];
  const resolveResponse = (r: Response & { $ref?: string }): Response => {
    if (!r.$ref) return r;
    const found = doc.components.responses?.[r.$ref.replace('#/components/responses/', '')];
    if (!found) throw new Error(`${r.$ref} is not in components`);
    return found;
  };
  const op = (path: string, method: string): Operation => {
    const found = doc.paths[path]?.[method];
    if (!found) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
    return found;
  };
  const param = (path: string, method: string, name: string): Parameter => {
    const found = op(path, method).parameters?.find((p) => p.name === name);
    if (!found) throw new Error(`${method.toUpperCase()} ${path} documents no parameter ${name}`);
    return found;
  };

  it('is OpenAPI 3.1 and documents exactly the public and admin routes', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Flower shop API', version: expect.any(String) });
    const documented = Object.fromEntries(
      Object.entries(doc.paths).map(([path, ops]) => [path, Object.keys(ops).sort()]),
    );
    const expected = Object.fromEntries(
      Object.entries({ ...PUBLIC, ...ADMIN }).map(([path, methods]) => [path, [...methods].sort()]),
    );
    expect(documented).toEqual(expected);
  });

  it('documents the catalogue query with its bounds', () => {
    const names = op('/api/products', 'get')
      .parameters!.filter((p) => p.in === 'query')
      .map((p) => `${p.in}:${p.name}`);
    expect(names.sort()).toEqual([
      'query:category',
      'query:inStock',
      'query:limit',
      'query:maxPrice',
      'query:minPrice',
      'query:page',
      'query:q',
      'query:sort',
    ]);
    expect(param('/api/products', 'get', 'limit').schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: 24,
    });
    expect(param('/api/products', 'get', 'page').schema).toMatchObject({ type: 'integer', minimum: 1, default: 1 });
    expect(param('/api/products', 'get', 'minPrice').schema).toMatchObject({ type: 'integer', minimum: 0 });
    expect(param('/api/products', 'get', 'sort').schema).toMatchObject({
      enum: ['price_asc', 'price_desc', 'name', 'newest'],
      default: 'name',
    });
    expect(param('/api/products', 'get', 'inStock').schema.enum).toEqual(['true', 'false', '1', '0']);
    expect(param('/api/products', 'get', 'category').schema.pattern).toBeDefined();
    expect(param('/api/products/popular', 'get', 'limit').schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 50,
    });
  });

  it('documents path parameters as required', () => {
    for (const [path, method, name] of [
      ['/api/products/{id}', 'get', 'id'],
      ['/api/categories/{slug}', 'get', 'slug'],
      ['/api/orders/{id}', 'get', 'id'],
      ['/admin/products/{id}', 'patch', 'id'],
      ['/admin/categories/{slug}', 'delete', 'slug'],
    ] as const) {
      expect(param(path, method, name), `${path} ${name}`).toMatchObject({ in: 'path', required: true });
    }
    expect(param('/api/orders/{id}', 'get', 'id').schema.pattern).toBe('^[A-Za-z0-9_-]{22}$');
  });

  it('documents placing an order: its body, the Idempotency-Key header and each outcome', () => {
    const order = op('/api/orders', 'post');
    expect(order.requestBody?.required).toBe(true);
    expect(order.requestBody?.content['application/json']?.schema.$ref).toBe('#/components/schemas/NewOrder');
    expect(param('/api/orders', 'post', 'idempotency-key')).toMatchObject({ in: 'header', required: false });
    expect(Object.keys(order.responses).sort()).toEqual(['201', '400', '409', '413', '415', '422', '500', '503']);
    expect(order.responses['201']!.content!['application/json']!.schema.$ref).toBe('#/components/schemas/Order');
    expect(doc.components.schemas.NewOrder!.required?.sort()).toEqual(['customer', 'items']);
  });

  it('puts every admin operation behind the bearer scheme, with 401 and 403 documented', () => {
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, methods] of Object.entries(ADMIN)) {
      for (const method of methods) {
        const o = op(path, method);
        expect(o.security, `${method} ${path}`).toEqual([{ adminToken: [] }]);
        expect(Object.keys(o.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
    for (const [path, methods] of Object.entries(PUBLIC)) {
      for (const method of methods) expect(op(path, method).security, `${method} ${path}`).toEqual([]);
    }
  });

  it('describes every error as a problem document with type, title and status', () => {
    const problemSchemas = Object.entries(doc.components.schemas)
      .filter(([, schema]) => ['type', 'title', 'status'].every((f) => schema.required?.includes(f)))
      .map(([name]) => `#/components/schemas/${name}`);
    expect(problemSchemas.length).toBeGreaterThanOrEqual(6);
    let errors = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, o] of Object.entries(ops)) {
        for (const [status, declared] of Object.entries(o.responses)) {
          if (Number(status) < 400) continue;
          errors++;
          const response = resolveResponse(declared);
          expect(problemSchemas, `${method} ${path} ${status}`).toContain(
            response.content?.['application/problem+json']?.schema.$ref,
          );
        }
      }
    }
    expect(errors).toBeGreaterThan(60);
  });

  it('documents only routes the service actually serves', async () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      const concrete = path
        .replace('{id}', path.startsWith('/api/orders') ? 'A'.repeat(22) : '1')
        .replace('{slug}', 'roses');
      for (const method of Object.keys(methods)) {
        const res = await shop.request(concrete, {
          method: method.toUpperCase(),
          ...(method === 'get' || method === 'delete'
            ? {}
            : { headers: { 'content-type': 'application/json' }, body: '{}' }),
        });
        const body = await res.text();
        expect(body, `${method} ${concrete}`).not.toContain('No route for');
      }
    }
  });
});
