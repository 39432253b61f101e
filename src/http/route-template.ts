import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';

/**
 * The route template of the handler that answered (`/api/products/:id`), or `unmatched`:
 * never the raw path. Read after next(), when routeIndex points at the last handler that ran;
 * a middleware (method ALL) there means no route matched.
 */
export function routeTemplate(c: Context): string {
  const route = matchedRoutes(c)[c.req.routeIndex];
  return route && route.method !== 'ALL' ? route.path : 'unmatched';
}
