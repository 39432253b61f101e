import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { TrieRouter } from 'hono/router/trie-router';
import type { ShopApp } from '../app-env.ts';
import { problem, problemResponse } from '../problem.ts';

/**
 * 405 with `Allow` for a known path and a method it does not have; OPTIONS on a known path
 * answers 204 with `Allow`. Two parts, so routes that matched pay nothing: `guard` checks admin
 * paths before their token guard (a wrong method there is a 405, not a 401); `orNotFound` runs
 * from the not-found handler, which only unmatched requests reach.
 */
export function methodNotAllowed(app: ShopApp): {
  guard: MiddlewareHandler;
  orNotFound(c: Context): Response | undefined;
} {
  let router: TrieRouter<string[]> | undefined;
  const allowedFor = (path: string): string[] => {
    if (!router) router = buildRouter(app);
    const methods = new Set<string>();
    for (const [list] of router.match('ALL', path)[0]) for (const m of list) methods.add(m);
    return [...methods];
  };
  const answer = (c: Context, methods: string[]): Response => {
    const allow = methods.join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { allow: `${allow}, OPTIONS` });
    return problemResponse(
      c,
      problem(405, 'method-not-allowed', 'Method not allowed', `${c.req.method} is not allowed here; use ${allow}.`),
      { allow },
    );
  };
  return {
    guard: (c, next) => {
      if (!c.req.path.startsWith('/admin/')) return next();
      for (const route of matchedRoutes(c)) {
        if (route.method !== 'ALL' && !route.path.includes('*')) return next();
      }
      const methods = allowedFor(c.req.path);
      if (methods.length === 0) return next();
      return Promise.resolve(answer(c, methods));
    },
    orNotFound(c) {
      const methods = allowedFor(c.req.path);
      if (methods.length === 0 || methods.includes(c.req.method)) return undefined;
      return answer(c, methods);
    },
  };
}

function buildRouter(app: ShopApp): TrieRouter<string[]> {
  const byPath = new Map<string, Set<string>>();
  for (const route of app.routes) {
    if (route.method === 'ALL' || route.path.includes('*')) continue;
    const methods = byPath.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
    byPath.set(route.path, methods);
  }
  const router = new TrieRouter<string[]>();
  for (const [path, methods] of byPath) router.add('ALL', path, [...methods]);
  return router;
}
