import type { Context } from 'hono';
import type { PrefixRegistry } from '../cache/prefix-registry.ts';
import type { TwoTierCache } from '../cache/two-tier-cache.ts';
import type { CacheMetrics } from '../observability/cache-metrics.ts';
import type { HttpMetrics } from '../observability/http-metrics.ts';
import { AccessLog, type Logger } from '../observability/logger.ts';
import type { MetricsRegistry } from '../observability/metrics-registry.ts';
import type { CatalogService } from '../shop/catalog-service.ts';
import type { OrderService } from '../shop/order-service.ts';
import { createShopApp, type ShopApp } from './app-env.ts';
import { CachedResponder } from './cached-response.ts';
import { problemFor } from './error-mapping.ts';
import { adminAuth } from './middleware/admin-auth.ts';
import { compression } from './middleware/compression.ts';
import { cors } from './middleware/cors.ts';
import { methodNotAllowed } from './middleware/method-not-allowed.ts';
import { observeRequests } from './middleware/observe-requests.ts';
import { closeAfterUnreadBody, limitBody } from './middleware/request-body.ts';
import { requestIds } from './middleware/request-id.ts';
import { SECURITY_HEADERS, securityHeaders } from './middleware/security-headers.ts';
import { RequestTracer } from './middleware/trace-requests.ts';
import { problem, problemResponse } from './problem.ts';
import { registerAdminCacheRoutes } from './routes/admin-cache-routes.ts';
import { registerAdminCatalogRoutes } from './routes/admin-catalog-routes.ts';
import { registerCatalogRoutes } from './routes/catalog-routes.ts';
import { type ConsoleDeps, registerConsoleRoutes, registerHotKeysRoute } from './routes/console-routes.ts';
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
  /** The live cache console (GET /console), when enabled. */
  console?: Omit<ConsoleDeps, 'cache' | 'metricsToken'> | undefined;
  /**
   * Headers every cached answer carries (security headers, say): merged once into the cached
   * routes' prebuilt header objects, so adding them costs nothing per request. An `app.use('*')`
   * middleware setting them after `next()` would cost every request Hono's async compose and a
   * WHATWG Headers copy of the response (BENCHMARKS.md).
   */
  staticResponseHeaders?: Readonly<Record<string, string>>;
  /** Extra routes mounted before the 404 handler (the benchmark's bare route). */
  extraRoutes?: (app: ShopApp) => void;
}

const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * GET/HEAD of one product or one category: the hottest reads, served by an app of their own with
 * no middleware, so Hono calls the handler directly and an L1 hit is answered synchronously on
 * @hono/node-server's fast path. Their responder (and problemResponse) adds what the app-wide
 * middleware would: security headers and the request id; CORS, when configured, is middleware
 * there too. Anything else under these paths falls through to the main app. `popular` is a list.
 */
const SINGLE_ITEM = /^\/api\/(?:products\/(?!popular$)[^/]+|categories\/[^/]+)$/;

export function createHttpApp(deps: HttpDeps): ShopApp {
  const app = createShopApp();
  const single = createShopApp();
  app.use('*', requestIds());
  const corsMiddleware = cors(deps.corsOrigins ?? []);
  if (corsMiddleware) {
    app.use('*', corsMiddleware);
    // Per-request headers on every answer, problems included: with CORS on, the single items pay for it.
    single.use('*', corsMiddleware);
  }
  app.use('*', securityHeaders());
  const notAllowed = methodNotAllowed(app);
  // Admin paths only: a wrong method there is a 405 before the token guard; elsewhere the
  // not-found handler answers 405, so routes that matched pay nothing.
  app.use('/admin/*', notAllowed.guard);
  // Lists only: single products and categories are small, and the hot product route stays untouched.
  const compress = compression().middleware;
  for (const path of ['/api/products', '/api/products/popular', '/api/categories']) app.use(path, compress);
  // Only where a body is read: on GETs it would build a full Request object for nothing.
  app.on(BODY_METHODS, '*', closeAfterUnreadBody());
  // Admin authentication comes before any body is read or measured.
  if (deps.adminToken) app.use('/admin/*', adminAuth(deps.adminToken));
  app.on(BODY_METHODS, '*', limitBody(deps.maxBodyBytes));

  registerOpsRoutes(app, deps.readiness);
  if (deps.metrics?.servedOnApiPort) registerMetricsRoute(app, deps.metrics.registry, deps.metrics.token);
  registerCatalogRoutes(app, deps.catalog, new CachedResponder(deps.staticResponseHeaders), {
    app: single,
    responder: new CachedResponder(
      deps.staticResponseHeaders ? { ...SECURITY_HEADERS, ...deps.staticResponseHeaders } : SECURITY_HEADERS,
    ),
  });
  registerOrderRoutes(app, deps.orders);
  if (deps.console) {
    registerConsoleRoutes(app, { ...deps.console, cache: deps.cache, metricsToken: deps.metrics?.token });
  }
  if (deps.adminToken) {
    registerAdminCatalogRoutes(app, deps.catalog);
    registerAdminCacheRoutes(app, deps.cache, deps.registry, deps.metrics?.cache);
    if (deps.console) registerHotKeysRoute(app, deps.console.console);
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
  const onError = (error: Error, c: Context): Response => {
    const { problem: p, expected } = problemFor(error);
    if (!expected) deps.logger.error({ err: error, method: c.req.method }, 'request failed');
    return problemResponse(c, p);
  };
  app.onError(onError);
  // The app answers these too (through the router below): listed with its own routes, for the
  // 405 check and for anyone enumerating route templates.
  app.routes.push(...single.routes);
  const mainFetch = app.fetch;
  single.notFound((c) => mainFetch(c.req.raw, c.env));
  single.onError(onError);
  app.fetch = (request, env, executionCtx) => {
    const method = request.method;
    if ((method === 'GET' || method === 'HEAD') && SINGLE_ITEM.test(app.getPath(request, { env })))
      return single.fetch(request, env, executionCtx);
    return mainFetch(request, env, executionCtx);
  };
  // Around app.fetch, not app.use('*'): see observe-requests.ts.
  observeRequests(app, {
    accessLog: new AccessLog(deps.logger),
    metrics: deps.metrics?.http,
    tracer: deps.tracing ? new RequestTracer() : undefined,
  });
  return app;
}
