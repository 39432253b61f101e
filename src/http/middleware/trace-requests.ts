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
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import {
  installedRequestSampling,
  newSpanId,
  newTraceId,
  type RequestSampling,
} from '../../observability/request-sampling.ts';

/** HTTP methods the conventions know; anything else is `_OTHER`. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

/** A request's place in a trace: its ids (for the log line) and, when it is recorded, its span. */
export interface ServerSpan {
  /** The server span; undefined when the sampler dropped the request (no span is made then). */
  span: Span | undefined;
  /** The caller's context (trace parent, baggage) the span continues. */
  parent: Context;
  traceId: string;
  spanId: string;
  /** Sampled (exported): the only requests whose trace id may go on an exemplar. */
  sampled: boolean;
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
 * A server span per sampled request, continuing the caller's trace (W3C traceparent) and named
 * by route template once routing has chosen one. Installed only when tracing is on.
 *
 * The sampling decision comes first (request-sampling.ts): the configured sampler is asked with
 * the request's ids before any span exists, and a request it drops gets ids for its log line and
 * nothing else: no span object, no span attributes, no context entered. Entering a span's
 * context would make every await of the request carry it through AsyncLocalStorage and would
 * start child spans (cache, Redis) only to drop them; the cache and the Redis instrumentation
 * make spans only under a recording parent. A sampled request runs inside its span.
 */
export class RequestTracer {
  private readonly tracer = trace.getTracer('flower-shop-http');
  /** Absent when the SDK was set up by other means than startTracing: then every request gets a span as the SDK decides. */
  private readonly sampling: RequestSampling | undefined = installedRequestSampling();

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
    const name = known ? method : 'HTTP';
    // A literal, no spread: this runs for every request (the sampler is given the attributes the
    // span would start with, as the SDK does).
    const attributes: Attributes = {
      'http.request.method': known ? method : '_OTHER',
      'url.path': path,
      'url.scheme': env?.incoming !== undefined && 'encrypted' in env.incoming.socket ? 'https' : 'http',
    };
    if (!known) attributes['http.request.method_original'] = method.slice(0, 32);
    const options = { kind: SpanKind.SERVER, attributes };

    const sampling = this.sampling;
    if (sampling === undefined) {
      const span = this.tracer.startSpan(name, options, parent);
      const sc = span.spanContext();
      const sampled = (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
      return { span: span.isRecording() ? span : undefined, parent, traceId: sc.traceId, spanId: sc.spanId, sampled };
    }
    // A valid caller's span context makes this a child in the caller's trace; otherwise a root.
    const caller = trace.getSpanContext(parent);
    const traceId = caller !== undefined && trace.isSpanContextValid(caller) ? caller.traceId : newTraceId();
    const spanId = newSpanId();
    const decision = sampling.decide(parent, traceId, name, SpanKind.SERVER, attributes);
    if (decision.decision === SamplingDecision.NOT_RECORD)
      return { span: undefined, parent, traceId, spanId, sampled: false };
    const span = sampling.startSpan(this.tracer, name, options, parent, decision, { traceId, spanId });
    const sampled = decision.decision === SamplingDecision.RECORD_AND_SAMPLED;
    return { span, parent, traceId, spanId, sampled };
  }

  /** Runs the request inside its span when it has one (it is recorded); as is otherwise. */
  run<T>({ span, parent }: ServerSpan, fn: () => T): T {
    if (span === undefined) return fn();
    return context.with(trace.setSpan(parent, span), fn);
  }

  end({ span }: ServerSpan, method: string, route: string, status: number): void {
    if (span === undefined) return;
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
