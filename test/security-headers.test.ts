import { afterAll, beforeAll, expect, test } from 'vitest';
import { type ApiProcess, startApiProcess } from './harness/api-process.ts';
import { TEST_ADMIN_TOKEN } from './harness/service.ts';

let api: ApiProcess;

beforeAll(async () => {
  api = await startApiProcess({ redis: false });
});

afterAll(async () => {
  await api?.stop();
});

const EXPECTED: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

test('every kind of response carries the security headers of a JSON API', async () => {
  const cases: Array<{ what: string; path: string; init?: RequestInit; status: number }> = [
    { what: 'cached product', path: '/api/products/1', status: 200 },
    { what: 'validation problem', path: '/api/products/x', status: 400 },
    { what: 'unknown route', path: '/nope', status: 404 },
    { what: 'readiness', path: '/readyz', status: 200 },
    { what: 'metrics', path: '/metrics', status: 200 },
    { what: 'OpenAPI document', path: '/openapi.json', status: 200 },
    { what: 'admin without token', path: '/admin/cache/stats', status: 401 },
    {
      what: 'admin with token',
      path: '/admin/cache/stats',
      init: { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } },
      status: 200,
    },
    {
      what: 'body too large',
      path: '/api/orders',
      init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(100_000) },
      status: 413,
    },
    {
      what: 'malformed JSON',
      path: '/api/orders',
      init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' },
      status: 400,
    },
  ];
  for (const c of cases) {
    const res = await fetch(api.url + c.path, c.init);
    await res.arrayBuffer();
    expect(res.status, c.what).toBe(c.status);
    for (const [name, value] of Object.entries(EXPECTED))
      expect(res.headers.get(name), `${c.what}: ${name}`).toBe(value);
    expect(res.headers.get('x-powered-by'), c.what).toBeNull();
  }
});
