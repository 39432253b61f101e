import type { MiddlewareHandler } from 'hono';

/**
 * Response headers for a JSON API that no browser should render, frame or sniff: every answer
 * (problems and 404s included) is data, never a page. HSTS is left to the TLS-terminating proxy,
 * which knows whether the site is HTTPS-only.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

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
