import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApiProcess } from './harness/api-process.ts';
import { sharedClusterSeeds } from './harness/redis.ts';
import { adminHeaders, startTestService, TEST_ADMIN_TOKEN, type TestService } from './harness/service.ts';

let shop: TestService;

beforeAll(async () => {
  shop = await startTestService();
});

afterAll(async () => {
  await shop?.close();
});

interface Operation {
  method: string;
  path: string;
}

/** Every admin operation the service documents, with path parameters filled by values that exist. */
async function adminOperations(): Promise<Operation[]> {
  const doc = (await (await shop.request('/openapi.json')).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const ops: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    if (!template.startsWith('/admin')) continue;
    const path = template
      .replace('{id}', '1')
      .replace('{slug}', 'roses')
      .replace(/\{[^}]+\}/g, 'x');
    for (const method of Object.keys(methods))
      ops.push({
        method: method.toUpperCase(),
        path: method === 'get' && path === '/admin/cache/inspect' ? `${path}?key=product:1` : path,
      });
  }
  return ops;
}

const WRONG_TOKENS = [
  'x',
  'wrong',
  TEST_ADMIN_TOKEN.slice(0, -1),
  `${TEST_ADMIN_TOKEN}x`,
  TEST_ADMIN_TOKEN.toUpperCase(),
  TEST_ADMIN_TOKEN.slice(1) + TEST_ADMIN_TOKEN[0],
  'a'.repeat(TEST_ADMIN_TOKEN.length),
  'b'.repeat(4_000),
  `${TEST_ADMIN_TOKEN} ${TEST_ADMIN_TOKEN}`,
];

async function expectProblem(res: Response, status: number, what: string): Promise<void> {
  expect(res.status, what).toBe(status);
  expect(res.headers.get('content-type'), what).toMatch(/^application\/problem\+json/);
  expect(((await res.json()) as { status: number }).status, what).toBe(status);
}

describe('admin routes', () => {
  test('every documented admin operation answers 401 without a usable token and 403 with a wrong one, and changes nothing', async () => {
    const ops = await adminOperations();
    // The document must list them all, or this test would pass on an empty list.
    expect(ops.map((o) => `${o.method} ${o.path.split('?')[0]}`).sort()).toEqual(
      [
        'DELETE /admin/categories/roses',
        'DELETE /admin/products/1',
        'GET /admin/cache/inspect',
        'GET /admin/cache/stats',
        'PATCH /admin/categories/roses',
        'PATCH /admin/products/1',
        'POST /admin/cache/invalidate',
        'POST /admin/categories',
        'POST /admin/products',
      ].sort(),
    );
    const productBefore = await (await shop.request('/api/products/1')).text();
    const body = (op: Operation) =>
      op.method === 'GET' || op.method === 'DELETE'
        ? undefined
        : JSON.stringify({ price: { amount: 1, currency: 'EUR' } });

    for (const op of ops) {
      const what = `${op.method} ${op.path}`;
      const send = (authorization?: string) =>
        shop.request(op.path, {
          method: op.method,
          headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) },
          ...(body(op) ? { body: body(op)! } : {}),
        });
      const none = await send();
      expect(none.headers.get('www-authenticate'), what).toMatch(/^Bearer/);
      await expectProblem(none, 401, `${what} without a token`);
      for (const header of [
        '',
        'Bearer',
        'Bearer ',
        'Bearer    ',
        'bearer',
        `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}`,
        `Basic ${TEST_ADMIN_TOKEN}`,
        TEST_ADMIN_TOKEN,
        `Token ${TEST_ADMIN_TOKEN}`,
      ]) {
        await expectProblem(await send(header), 401, `${what} with Authorization "${header.slice(0, 30)}"`);
      }
      for (const token of WRONG_TOKENS)
        await expectProblem(await send(`Bearer ${token}`), 403, `${what} with a wrong token of ${token.length} chars`);
    }
    expect(await (await shop.request('/api/products/1')).text()).toBe(productBefore);
    expect((await shop.request('/api/categories/roses')).status).toBe(200);
  });

  test('the right token opens them (so the 401/403 above are the guard, not a broken route)', async () => {
    expect((await shop.request('/admin/cache/stats', { headers: adminHeaders })).status).toBe(200);
    expect((await shop.request('/admin/cache/inspect?key=product:1', { headers: adminHeaders })).status).toBe(200);
  });

  test('cache administration is reachable only under /admin', async () => {
    const doc = (await (await shop.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    const cachePaths = Object.keys(doc.paths).filter((p) => p.includes('cache'));
    expect(cachePaths.length).toBeGreaterThan(0);
    expect(cachePaths.every((p) => p.startsWith('/admin/'))).toBe(true);
    for (const path of [
      '/cache/stats',
      '/api/cache/stats',
      '/api/admin/cache/stats',
      '/admin/../cache/stats',
      '/cache/inspect?key=product:1',
      '/api/cache/invalidate',
    ]) {
      for (const method of ['GET', 'POST']) {
        const res = await shop.request(path, {
          method,
          headers: adminHeaders,
          ...(method === 'POST' ? { body: '{"prefixes":["product"]}' } : {}),
        });
        // Anything but success: a path outside /admin must never reach the cache routes.
        expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      }
    }
  });

  test('with no ADMIN_TOKEN configured the admin routes do not exist', async () => {
    const open = await startTestService({ env: { ADMIN_TOKEN: '' } });
    try {
      for (const path of ['/admin/cache/stats', '/admin/cache/inspect?key=product:1']) {
        await expectProblem(await open.request(path, { headers: adminHeaders }), 404, path);
      }
      await expectProblem(
        await open.request('/admin/products/1', { method: 'DELETE', headers: adminHeaders }),
        404,
        'DELETE /admin/products/1',
      );
      expect((await open.request('/api/products/1')).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

test('the admin token (and wrong tokens) never reach the logs, even at LOG_LEVEL=debug', async () => {
  const api = await startApiProcess({ redis: sharedClusterSeeds(), env: { LOG_LEVEL: 'debug' } });
  const wrong = 'wrong-token-that-must-not-be-logged-7f3a9c';
  try {
    const h = { 'content-type': 'application/json' };
    await fetch(`${api.url}/admin/cache/stats`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    await fetch(`${api.url}/admin/cache/stats`, { headers: { authorization: `Bearer ${wrong}` } });
    await fetch(`${api.url}/admin/products/1`, {
      method: 'PATCH',
      headers: { ...h, authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      body: '{"price":{"amount":-5}}',
    });
    await fetch(`${api.url}/admin/products/1`, {
      method: 'PATCH',
      headers: { ...h, authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      body: '{not json',
    });
    await fetch(`${api.url}/admin/products/999999`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    await fetch(`${api.url}/admin/cache/invalidate`, {
      method: 'POST',
      headers: { ...h, authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      body: JSON.stringify({ prefixes: ['product'] }),
    });
    await fetch(`${api.url}/api/products/1`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, cookie: `session=${TEST_ADMIN_TOKEN}` },
    });
    await fetch(`${api.url}/admin/cache/stats?token=${wrong}`, { headers: { authorization: `Basic ${wrong}` } });
  } finally {
    await api.stop();
  }
  const logs = api.stdout() + api.stderr();
  // The process did log at debug level, so an absent token is not an absent log.
  expect(logs).toMatch(/"level":"debug"|"level":"info"/);
  expect(logs).toContain('"route":"/admin/cache/stats"');
  expect(logs).not.toContain(TEST_ADMIN_TOKEN);
  expect(logs).not.toContain(wrong);
  expect(logs).not.toContain(Buffer.from(TEST_ADMIN_TOKEN).toString('base64'));
}, 30_000);
