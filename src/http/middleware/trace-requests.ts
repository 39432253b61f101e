import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routeTemplate } from '../route-template.ts';

/** HTTP methods the conventions know; anything else is `_OTHER`. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

/**
 * A server span per request, continuing the caller's trace (W3C traceparent) and named by
 * route template once routing has chosen one. Installed only when tracing is on.
 */
export function traceRequests(): MiddlewareHandler {
  const tracer = trace.getTracer('flower-shop-http');
  return async (c, next) => {
    const parent = propagation.extract(context.active(), Object.fromEntries(c.req.raw.headers));
    // OpenTelemetry HTTP semantic conventions: a method outside the known set is `_OTHER` (the
    // original kept apart), and the span is then named `HTTP`, not after arbitrary input.
    const known = KNOWN_METHODS.has(c.req.method);
    const method = known ? c.req.method : '_OTHER';
    const spanMethod = known ? c.req.method : 'HTTP';
    const span = tracer.startSpan(
      spanMethod,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          ...(known ? {} : { 'http.request.method_original': c.req.method.slice(0, 32) }),
          'url.path': c.req.path,
          'url.scheme': new URL(c.req.url).protocol.replace(':', ''),
        },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      const route = routeTemplate(c);
      span.updateName(`${spanMethod} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': c.res.status });
      if (c.res.status >= 500) {
        // error.type: the status code as a string when nothing more specific is known.
        span.setAttribute('error.type', String(c.res.status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    }
  };
}
