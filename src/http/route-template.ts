import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';

/** The route template that handled the request (`/api/products/:id`), or `unmatched`: never the raw path. */
export function routeTemplate(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]!;
    if (r.method !== 'ALL') return r.path;
  }
  return 'unmatched';
}
