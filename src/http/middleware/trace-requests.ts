import type { HttpBindings } from '@hono/node-server';
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';

/** HTTP methods the conventions know; anything else is `_OTHER`. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

export interface ServerSpan {
  span: Span;
  /** The caller's context (trace parent, baggage) the span continues. */
  parent: Context;
}

/** Reads W3C trace context from Node's header object when there is one, else from the Request. */
const incomingGetter: TextMapGetter<Request> = {
  keys: (request) => [...request.headers.keys()],
  get: (request, key) => request.headers.get(key) ?? undefined,
};
const nodeGetter: TextMapGetter<HttpBindings['incoming']['headers']> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};

/**
 * A server span per request, continuing the caller's trace (W3C traceparent) and named by
 * route template once routing has chosen one. Installed only when tracing is on.
 *
 * A request the sampler drops gets its span (ids for the log line) but is not run inside it:
 * entering the span's context would make every await of the request carry it through
 * AsyncLocalStorage and would start child spans (cache, Redis) only to drop them. The cache
 * and the Redis instrumentation make spans only under a recording parent, so an unsampled
 * request pays for the sampler decision and nothing else.
 */
export class RequestTracer {
  private readonly tracer = trace.getTracer('flower-shop-http');

  start(request: Request, env: Partial<HttpBindings> | undefined, method: string, path: string): ServerSpan {
    const headers = env?.incoming?.headers;
    const parent =
      headers === undefined
        ? propagation.extract(ROOT_CONTEXT, request, incomingGetter)
        : headers.traceparent === undefined && headers.baggage === undefined
          ? ROOT_CONTEXT
          : propagation.extract(ROOT_CONTEXT, headers, nodeGetter);
    // OpenTelemetry HTTP semantic conventions: a method outside the known set is `_OTHER` (the
    // original kept apart), and the span is then named `HTTP`, not after arbitrary input.
    const known = KNOWN_METHODS.has(method);
    // A literal, no spread: this runs for every request, sampled or not (a per-request object
    // spread showed up as a large share of the hot path's CPU on this host, BENCHMARKS.md).
    const attributes: Attributes = {
      'http.request.method': known ? method : '_OTHER',
      'url.path': path,
      'url.scheme': env?.incoming !== undefined && 'encrypted' in env.incoming.socket ? 'https' : 'http',
    };
    if (!known) attributes['http.request.method_original'] = method.slice(0, 32);
    const span = this.tracer.startSpan(known ? method : 'HTTP', { kind: SpanKind.SERVER, attributes }, parent);
    return { span, parent };
  }

  /** Runs the request inside the span when it is recorded; as is otherwise. */
  run<T>({ span, parent }: ServerSpan, fn: () => T): T {
    if (!span.isRecording()) return fn();
    return context.with(trace.setSpan(parent, span), fn);
  }

  end(span: Span, method: string, route: string, status: number): void {
    if (!span.isRecording()) return;
    span.updateName(`${KNOWN_METHODS.has(method) ? method : 'HTTP'} ${route}`);
    span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
    if (status >= 500) {
      // error.type: the status code as a string when nothing more specific is known.
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
}
