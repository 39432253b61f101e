import type { MiddlewareHandler } from 'hono';

/** What a browser may send and read cross-origin: the contract's request and response headers. */
export const CORS_ALLOWED_METHODS = 'GET, HEAD, POST, PATCH, DELETE';
export const CORS_ALLOWED_HEADERS = 'content-type, if-none-match, idempotency-key, authorization, x-request-id';
export const CORS_EXPOSED_HEADERS = 'etag, cache-status, location, idempotency-replayed, link, x-request-id';
/** Ten minutes: browsers cap it anyway (Chromium at two hours), and a shorter one lets a config change reach them. */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * CORS for an exact list of origins. Not hono/cors: that one answers every preflight and exposes
 * headers to any origin, where an origin not listed must get no CORS header at all.
 *
 * Every answer carries `Vary: Origin` (with or without an Origin header), so a shared cache never
 * hands one origin's `Access-Control-Allow-Origin` to another; the service's own cache stores
 * bytes, not headers, so it is right across origins as it is. Returns undefined for an empty
 * list: no middleware, no cost.
 */
export function cors(origins: readonly string[]): MiddlewareHandler | undefined {
  if (origins.length === 0) return undefined;
  const allowed = new Set(origins);
  const preflightVary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
  return async (c, next) => {
    const origin = c.req.header('origin');
    const listed = origin !== undefined && allowed.has(origin);
    if (c.req.method === 'OPTIONS' && origin !== undefined && c.req.header('access-control-request-method')) {
      // A preflight: answered here whatever the path, with CORS headers only for a listed origin.
      if (!listed) return c.body(null, 204, { vary: preflightVary });
      return c.body(null, 204, {
        vary: preflightVary,
        'access-control-allow-origin': origin,
        'access-control-allow-methods': CORS_ALLOWED_METHODS,
        'access-control-allow-headers': CORS_ALLOWED_HEADERS,
        'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
      });
    }
    await next();
    const headers = c.res.headers;
    headers.append('vary', 'Origin');
    if (listed) {
      headers.set('access-control-allow-origin', origin);
      headers.set('access-control-expose-headers', CORS_EXPOSED_HEADERS);
    }
  };
}
