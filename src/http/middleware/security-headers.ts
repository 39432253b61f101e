import type { MiddlewareHandler } from 'hono';

/**
 * Response headers for a JSON API that no browser should render, frame or sniff: every answer
 * (problems and 404s included) is data, never a page. HSTS is left to the TLS-terminating proxy,
 * which knows whether the site is HTTPS-only.
 */
const CSP = "default-src 'none'; frame-ancestors 'none'";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CSP,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/**
 * The headers of a cached answer served without the app-wide middleware (an L1 hit of a single
 * product): SECURITY_HEADERS, then the answer's own, in that order. Written out as one object
 * literal because a per-request `{ ...SECURITY_HEADERS, ... }` spread was the largest share of
 * the responder's CPU in the L1-hit profile (BENCHMARKS.md); a literal is built from a fixed
 * shape at once. `contentType` is absent on a 304. test/security-headers.test.ts checks that
 * these answers carry exactly SECURITY_HEADERS.
 */
export function securedAnswerHeaders(
  contentType: string | undefined,
  cacheControl: string,
  etag: string,
  cacheStatus: string,
  requestId: string,
): Record<string, string> {
  if (contentType === undefined)
    return {
      'content-security-policy': CSP,
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cache-control': cacheControl,
      etag,
      'cache-status': cacheStatus,
      'x-request-id': requestId,
    };
  return {
    'content-security-policy': CSP,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-type': contentType,
    'cache-control': cacheControl,
    etag,
    'cache-status': cacheStatus,
    'x-request-id': requestId,
  };
}

const ENTRIES = Object.entries(SECURITY_HEADERS);

/**
 * Sets each header the route did not set itself: the console's page brings its own, looser
 * Content-Security-Policy (its scripts and styles), and it must not be replaced by the API's.
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    for (const [name, value] of ENTRIES) if (!headers.has(name)) headers.set(name, value);
  };
}
