import { bodyLimit } from 'hono/body-limit';
import type { PrefixRegistry } from '../cache/prefix-registry.ts';
import type { TwoTierCache } from '../cache/two-tier-cache.ts';
import type { CacheMetrics } from '../observability/cache-metrics.ts';
import type { HttpMetrics } from '../observability/http-metrics.ts';
import type { Logger } from '../observability/logger.ts';
import type { MetricsRegistry } from '../observability/metrics-registry.ts';
import type { CatalogService } from '../shop/catalog-service.ts';
import type { OrderService } from '../shop/order-service.ts';
import { createShopApp, type ShopApp } from './app-env.ts';
import { problemFor } from './error-mapping.ts';
import { adminAuth } from './middleware/admin-auth.ts';
import { compression } from './middleware/compression.ts';
import { cors } from './middleware/cors.ts';
import { methodNotAllowed } from './middleware/method-not-allowed.ts';
import { observeRequests } from './middleware/observe-requests.ts';
import { requestIds } from './middleware/request-id.ts';
import { traceRequests } from './middleware/trace-requests.ts';
import { problem, problemResponse } from './problem.ts';
import { registerAdminCacheRoutes } from './routes/admin-cache-routes.ts';
import { registerAdminCatalogRoutes } from './routes/admin-catalog-routes.ts';
import { registerCatalogRoutes } from './routes/catalog-routes.ts';
import { type Readiness, registerMetricsRoute, registerOpsRoutes } from './routes/ops-routes.ts';
import { registerOrderRoutes } from './routes/order-routes.ts';

export interface HttpDeps {
  catalog: CatalogService;
  orders: OrderService;
  cache: TwoTierCache;
  registry: PrefixRegistry;
  logger: Logger;
  readiness: () => Readiness;
  adminToken: string | undefined;
  maxBodyBytes: number;
  /** Browser origins allowed cross-origin (CORS_ORIGINS); none when empty or absent. */
  corsOrigins?: readonly string[];
  tracing: boolean;
  metrics?:
    | {
        registry: MetricsRegistry;
        http: HttpMetrics;
        cache: CacheMetrics;
        servedOnApiPort: boolean;
        token: string | undefined;
      }
    | undefined;
  /** Extra routes mounted before the 404 handler (the benchmark's bare route). */
  extraRoutes?: (app: ShopApp) => void;
}

export function createHttpApp(deps: HttpDeps): ShopApp {
  const app = createShopApp();
  app.use('*', requestIds());
  const corsMiddleware = cors(deps.corsOrigins ?? []);
  if (corsMiddleware) app.use('*', corsMiddleware);
  if (deps.tracing) app.use('*', traceRequests());
  app.use('*', observeRequests(deps.logger, deps.metrics?.http));
  const notAllowed = methodNotAllowed(app);
  app.use('*', notAllowed.guard);
  // Lists only: single products and categories are small, and the hot product route stays untouched.
  const compress = compression().middleware;
  for (const path of ['/api/products', '/api/products/popular', '/api/categories']) app.use(path, compress);
  // Only where a body is read: on GETs it would build a full Request object for nothing.
  app.on(
    ['POST', 'PUT', 'PATCH', 'DELETE'],
    '*',
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: (c) =>
        problemResponse(
          c,
          problem(413, 'body-too-large', 'Request body too large', `Bodies are limited to ${deps.maxBodyBytes} bytes.`),
        ),
    }),
  );

  registerOpsRoutes(app, deps.readiness);
  if (deps.metrics?.servedOnApiPort) registerMetricsRoute(app, deps.metrics.registry, deps.metrics.token);
  registerCatalogRoutes(app, deps.catalog);
  registerOrderRoutes(app, deps.orders);
  if (deps.adminToken) {
    app.use('/admin/*', adminAuth(deps.adminToken));
    registerAdminCatalogRoutes(app, deps.catalog);
    registerAdminCacheRoutes(app, deps.cache, deps.registry, deps.metrics?.cache);
  }
  deps.extraRoutes?.(app);

  app.notFound(
    (c) =>
      notAllowed.orNotFound(c) ??
      problemResponse(
        c,
        problem(404, 'not-found', 'Not found', `No route for ${c.req.method} ${c.req.path.slice(0, 200)}`),
      ),
  );
  app.onError((error, c) => {
    const { problem: p, expected } = problemFor(error);
    if (!expected) deps.logger.error({ err: error, method: c.req.method }, 'request failed');
    return problemResponse(c, p);
  });
  return app;
}
