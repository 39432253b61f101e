import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from './harness/service.ts';
import { REPO_ROOT } from './helpers/dashboard-queries.ts';

const run = promisify(execFile);

/** What test/consumer/front-end.ts reports (its own type lives with the generated client). */
interface FrontEndReport {
  categories: number;
  categoryPage: { page: number; items: number; nextLink: string | null };
  search: { hits: number };
  product: { id: number; revalidatedStatus: number };
  order: { id: string; location: string | null; replayed: string | null; sameOrder: boolean };
  shortage: { productId: number; requested: number; available: number }[];
  invalid: { name: string; reason: string }[];
  unknownProductIds: number[];
}
const CONSUMER = join(REPO_ROOT, 'test/consumer');

/**
 * The API as a front-end developer meets it: a client generated from the live /openapi.json with
 * openapi-typescript, a front-end script on openapi-fetch type-checked against it (plus a file of
 * mistakes the types must refuse), then run against the real server over HTTP.
 */
describe('typed client generated from the live document', () => {
  let shop: TestService;

  beforeAll(async () => {
    shop = await startTestService({ listen: true });
  });
  afterAll(async () => {
    await shop?.close();
  });

  it('type-checks the front end against the generated client, and its flows work on the real server', async () => {
    const generated = astToString(await openapiTS(new URL(`${shop.url}/openapi.json`)));
    mkdirSync(join(CONSUMER, 'generated'), { recursive: true });
    writeFileSync(join(CONSUMER, 'generated/api.ts'), generated);

    const tsc = await run(join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-p', join(CONSUMER, 'tsconfig.json')], {
      cwd: REPO_ROOT,
      timeout: 120_000,
    }).catch((e: { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }));
    expect(tsc.stdout).toBe('');

    // Imported by a computed path: the script is typed by the generated client, outside the suite's own tsc run.
    const script = './consumer/front-end.ts';
    const { runFrontEnd } = (await import(script)) as { runFrontEnd(url: string): Promise<FrontEndReport> };
    const report = await runFrontEnd(shop.url);
    expect(report.categories).toBeGreaterThan(1);
    expect(report.categoryPage).toMatchObject({ page: 2, items: 2 });
    expect(report.categoryPage.nextLink).toContain('rel="prev"');
    expect(report.search.hits).toBeGreaterThan(0);
    expect(report.product.revalidatedStatus).toBe(304);
    expect(report.order.location).toBe(`/api/orders/${report.order.id}`);
    expect(report.order).toMatchObject({ replayed: 'true', sameOrder: true });
    expect(report.shortage).toEqual([{ productId: report.product.id, requested: 1000, available: expect.any(Number) }]);
    expect(report.invalid.map((e) => e.name).sort()).toEqual(['customer.email', 'items.0.quantity']);
    expect(report.unknownProductIds).toEqual([987654321]);
  }, 180_000);
});
