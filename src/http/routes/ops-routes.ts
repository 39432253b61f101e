import type { MetricsRegistry } from '../../observability/metrics-registry.ts';
import type { ShopApp } from '../app-env.ts';
import { bearerTokenOf, tokenMatcher } from '../bearer-token.ts';
import { problem, problemResponse } from '../problem.ts';
import { registerContractComponents } from './contract.ts';

export type DependencyState = { status: 'up' | 'down' | 'degraded' | 'disabled'; [detail: string]: unknown };

export interface Readiness {
  status: 'ready' | 'degraded' | 'unavailable';
  checks: Record<string, DependencyState>;
}

/**
 * Liveness, readiness and the OpenAPI document. Readiness is 200 when the service can answer
 * (even with Redis degraded: SQLite serves every read), 503 only when it cannot.
 */
export function registerOpsRoutes(app: ShopApp, readiness: () => Readiness): void {
  app.get('/healthz', (c) => c.json({ status: 'alive' }, 200, { 'cache-control': 'no-store' }));
  app.get('/readyz', (c) => {
    const r = readiness();
    return c.json(r, r.status === 'unavailable' ? 503 : 200, { 'cache-control': 'no-store' });
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Flower shop API',
      version: '1.0.0',
      description:
        'Catalogue, categories, search, stock and orders of an online flower shop. Errors are application/problem+json (RFC 9457). Every answer carries X-Request-Id. A known path with a method it does not have answers 405 with Allow (components/responses/MethodNotAllowed). Large cached JSON answers are compressed (br, gzip) when Accept-Encoding allows.',
      license: { name: 'Proprietary', url: 'https://example.org/flower-shop/license' },
    },
    servers: [{ url: '/', description: 'The host that serves this document' }],
    tags: [
      { name: 'catalogue', description: 'Categories, products, search and best sellers: cached, with ETags' },
      { name: 'orders', description: 'Placing and reading orders' },
      { name: 'admin', description: 'Catalogue and cache administration (bearer token)' },
    ],
  });
  registerContractComponents(app);
}

/** /metrics, on the API port or a port of its own, optionally behind a bearer token. */
export function registerMetricsRoute(app: ShopApp, metrics: MetricsRegistry, token: string | undefined): void {
  const matches = token ? tokenMatcher(token) : undefined;
  app.get('/metrics', async (c) => {
    if (matches) {
      if (!matches(bearerTokenOf(c.req.header('authorization')))) {
        return problemResponse(
          c,
          problem(401, 'unauthorized', 'Authentication required', 'Send Authorization: Bearer <metrics token>.'),
          { 'www-authenticate': 'Bearer realm="metrics"' },
        );
      }
    }
    const { body, contentType } = await metrics.render(c.req.header('accept'));
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
}
