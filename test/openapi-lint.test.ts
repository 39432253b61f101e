import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from './harness/service.ts';
import { REPO_ROOT } from './helpers/dashboard-queries.ts';

const run = promisify(execFile);

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}
type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  security?: unknown[];
  responses: Record<string, Json>;
  parameters?: { name: string; in: string }[];
}

/** The warnings we accept, each for a reason: anything else (and any error) fails. */
const ACCEPTED_WARNINGS = new Set([
  // GET /api/categories takes no input, so no 4xx is possible.
  'operation-4xx-response',
  // MethodNotAllowed documents the 405 a wrong method gets: no operation answers it.
  'no-unused-components',
]);

describe('OpenAPI document as a consumer sees it', () => {
  let shop: TestService;
  let doc: {
    paths: Record<string, Record<string, Operation>>;
    components: Record<string, Record<string, Json>>;
  } & Json;
  let dir: string;

  beforeAll(async () => {
    shop = await startTestService({ redis: false });
    doc = (await (await shop.request('/openapi.json')).json()) as typeof doc;
    dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
  });
  afterAll(async () => {
    await shop?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes Redocly's recommended ruleset with no errors (run offline)", async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const lint = await run(
      join(REPO_ROOT, 'node_modules/.bin/redocly'),
      ['lint', file, '--extends', 'recommended', '--format', 'json'],
      {
        cwd: dir,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
        timeout: 60_000,
      },
    ).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    const report = JSON.parse(lint.stdout) as LintReport;
    const unexpected = report.problems.filter((p) => p.severity === 'error' || !ACCEPTED_WARNINGS.has(p.ruleId));
    expect(unexpected, JSON.stringify(unexpected, null, 2)).toEqual([]);
    expect(report.totals.errors).toBe(0);
  }, 90_000);

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );

  it('names every operation as a person would, once', () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining(['listCategories', 'listProducts', 'getProduct', 'placeOrder', 'getOrder']),
    );
  });

  it('has servers, bearer security on admin and an explicit empty security on public operations', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: expect.any(String) })]);
    for (const { path, method, op } of operations()) {
      if (path.startsWith('/admin/')) expect(op.security, `${method} ${path}`).toEqual([{ adminToken: [] }]);
      else expect(op.security, `${method} ${path}`).toEqual([]);
    }
  });

  it('documents 500 and 503 everywhere, 413 and 415 on every JSON body, 304 with ETag on every cached read', () => {
    for (const { path, method, op } of operations()) {
      const statuses = Object.keys(op.responses);
      expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['500', '503']));
      if (method === 'post' || method === 'patch')
        expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['400', '413', '415']));
      if (method === 'delete') expect(statuses, `${method} ${path}`).toContain('400');
      if (path.startsWith('/api/') && !path.startsWith('/api/orders')) {
        expect(statuses, `${method} ${path}`).toContain('304');
        expect(Object.keys(op.responses['200']!.headers as Json)).toEqual(
          expect.arrayContaining(['ETag', 'Cache-Control', 'Cache-Status', 'X-Request-Id']),
        );
        expect(op.parameters?.map((p) => `${p.in}:${p.name}`)).toContain('header:if-none-match');
      }
    }
  });

  it('types the order problems: 409 items and 422 unknownProductIds', () => {
    const schemas = doc.components.schemas as Record<
      string,
      { properties?: Record<string, Json>; required?: string[] }
    >;
    expect(schemas.InsufficientStockProblem?.required).toContain('items');
    expect(schemas.StockShortage?.required?.sort()).toEqual(['available', 'productId', 'requested']);
    expect(schemas.UnprocessableOrderProblem?.properties?.unknownProductIds).toMatchObject({
      type: 'array',
      items: { type: 'integer' },
    });
    expect(schemas.ValidationProblem?.properties?.errors).toMatchObject({ type: 'array' });
    expect(schemas.ProductPatch).toMatchObject({ minProperties: 1 });
    expect(schemas.CategoryPatch).toMatchObject({ minProperties: 1 });
    const placeOrder = doc.paths['/api/orders']!.post!;
    expect(placeOrder.responses['201']!.headers).toHaveProperty('Location');
    expect(placeOrder.responses['201']!.headers).toHaveProperty('Idempotency-Replayed');
  });

  it('has an example for every operation (its success body, or its parameters when it has no body)', () => {
    const schemas = doc.components.schemas as Record<string, Json>;
    const exampleOf = (schema: Json | undefined): unknown => {
      if (!schema) return undefined;
      if (typeof schema.$ref === 'string') return exampleOf(schemas[schema.$ref.split('/').pop()!]);
      if (schema.example !== undefined) return schema.example;
      // An object schema whose every required property has an example is an example too.
      const props = schema.properties as Record<string, Json> | undefined;
      if (props && Object.values(props).every((p) => exampleOf(p) !== undefined)) return {};
      if (schema.items) return exampleOf(schema.items as Json);
      return undefined;
    };
    for (const { path, method, op } of operations()) {
      const success = Object.entries(op.responses).find(([s]) => s.startsWith('2'))![1];
      const body = (success.content as Record<string, { schema: Json }> | undefined)?.['application/json']?.schema;
      if (body) expect(exampleOf(body), `${method} ${path}`).toBeDefined();
    }
  });
});
