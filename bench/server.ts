/**
 * One API instance for the benchmark, in its own process so the load generator does not share
 * its event loop; run compiled (dist-bench/, tsconfig.bench.json), never through a TypeScript
 * loader. Built with createService exactly as `npm start` builds it (src/main.ts), plus bench-only
 * routes mounted through extraRoutes:
 *   GET /bench/bare                      product 42's JSON bytes from memory: the floor of the HTTP stack
 *   GET /bench/uncached/products/:id     the repository and serialization a cache miss runs, every time
 *   GET /bench/uncached/products?…       a catalogue page or search, same
 *   GET /bench/uncached/popular?limit=   best sellers, same
 * Environment: the service's own variables (loadConfig), plus BENCH_METRICS=false to build the
 * service without metrics. Prints `READY <port>` on stdout once it listens; exits on SIGTERM.
 */

import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { loadConfig } from '../src/config/config.ts';
import { ProductQuery } from '../src/http/schemas.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createService } from '../src/service.ts';
import { etagOf, snapshot } from '../src/shop/snapshot.ts';
import type { CatalogStore } from '../src/shop/store.ts';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
let repo: CatalogStore | undefined;
let bare = '';
const json = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

const service = await createService({
  config,
  logger,
  metrics: process.env.BENCH_METRICS !== 'false',
  tracing: globalThis.__flowerShopTracing !== undefined,
  extraRoutes: (app) => {
    // content-type only, as the standalone reference (bench/bare-server.ts) answers.
    app.get('/bench/bare', (c) => c.body(bare, 200, { 'content-type': json['content-type'] }));
    app.get('/bench/uncached/products/:id', async (c) => {
      const p = await repo!.product(Number(c.req.param('id')));
      if (!p) return c.body('{"title":"Not found"}', 404, json);
      const s = snapshot(p);
      return c.body(s.json, 200, { ...json, etag: s.etag });
    });
    app.get('/bench/uncached/products', async (c) => {
      const query = ProductQuery.parse(c.req.query());
      const s = snapshot(await repo!.search(query));
      return c.body(s.json, 200, { ...json, etag: s.etag });
    });
    app.get('/bench/uncached/popular', async (c) => {
      const ranked = await repo!.popular(Number(c.req.query('limit') ?? '10'));
      const products = await repo!.products(ranked.map((r) => r.productId));
      const parts: string[] = [];
      for (const r of ranked) {
        const p = products.get(r.productId);
        if (p) parts.push(`{"product":${snapshot(p).json},"unitsSold":${r.unitsSold}}`);
      }
      const body = `{"items":[${parts.join(',')}]}`;
      return c.body(body, 200, { ...json, etag: etagOf(body) });
    });
  },
});
repo = service.store.catalog;
bare = snapshot((await repo.product(42)) ?? {}).json;

const deadline = Date.now() + 120_000;
while (config.REDIS_CLUSTER_NODES && service.readiness().status !== 'ready') {
  if (Date.now() > deadline) throw new Error(`not ready after 120 s: ${JSON.stringify(service.readiness())}`);
  await new Promise((r) => setTimeout(r, 50));
}

const server = serve({ fetch: service.app.fetch, port: config.PORT, hostname: '127.0.0.1' }, (info: AddressInfo) => {
  process.stdout.write(`READY ${info.port}\n`);
});

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  server.close();
  if ('closeAllConnections' in server) server.closeAllConnections();
  void (async () => {
    await globalThis.__flowerShopTracing?.shutdown().catch(() => undefined);
    await service.close();
    process.exit(0);
  })();
});
