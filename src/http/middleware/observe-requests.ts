import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { HttpMetrics } from '../../observability/http-metrics.ts';
import type { AccessLog } from '../../observability/logger.ts';
import type { ShopApp } from '../app-env.ts';
import type { RequestTracer, ServerSpan } from './trace-requests.ts';

/**
 * One access-log line and one histogram observation per request, both keyed by route template;
 * with tracing on, a server span per request, whose trace and span ids go on the log line (and,
 * for a sampled request, on the histogram as an exemplar).
 *
 * Installed around `app.fetch` rather than as Hono middleware: any `app.use('*')` middleware
 * sends every request through Hono's compose (an async step per middleware) and makes the
 * answer a Promise, which takes @hono/node-server off its synchronous fast path. Wrapped this
 * way, a route that answers synchronously (an L1 hit) is written to the socket in the same tick.
 */
export function observeRequests(
  app: ShopApp,
  deps: { accessLog: AccessLog; metrics: HttpMetrics | undefined; tracer: RequestTracer | undefined },
): void {
  const { accessLog, metrics, tracer } = deps;
  const dispatch = app.fetch;
  const routes = new RouteTemplates(app);

  const finish = (
    carrier: RouteCarrier | undefined,
    method: string,
    request: Request,
    status: number,
    started: number,
    traced: ServerSpan | undefined,
  ): void => {
    const seconds = (performance.now() - started) / 1e3;
    // A hot route names its template (nameRoute); the router is asked for the others only.
    const route = carrier?.[ROUTE] ?? routes.of(method, app.getPath(request));
    let traceId: string | undefined;
    let spanId: string | undefined;
    let sampled = false;
    if (traced !== undefined) {
      traceId = traced.traceId;
      spanId = traced.spanId;
      // Exemplars only for sampled requests: an exemplar must lead to a trace that was kept.
      sampled = traced.sampled;
      tracer!.end(traced, method, route, status);
    }
    metrics?.observe(method, route, status, seconds, sampled ? traceId : undefined);
    if (accessLog.enabled)
      accessLog.write(method, route, status, Math.round(seconds * 1e6), carrier?.[REQUEST_ID], traceId, spanId);
  };

  app.fetch = (
    request: Request,
    env?: Parameters<ShopApp['fetch']>[1],
    executionCtx?: Parameters<ShopApp['fetch']>[2],
  ) => {
    const started = performance.now();
    // In-process requests (app.request in tests) have no bindings object: one to carry the route and request id.
    env ??= {} as NonNullable<typeof env>;
    const method = request.method;
    // The path only for the tracer: finish() asks for it only when no route named its template.
    const path = tracer === undefined ? '' : app.getPath(request, { env });
    const traced = tracer?.start(request, env as Partial<HttpBindings> | undefined, method, path);
    const run = () => dispatch(request, env, executionCtx);
    let answer: Response | Promise<Response>;
    try {
      answer = traced === undefined ? run() : tracer!.run(traced, run);
    } catch (error) {
      finish(env as RouteCarrier | undefined, method, request, 500, started, traced);
      throw error;
    }
    if (answer instanceof Promise)
      return answer.then(
        (res) => {
          finish(env as RouteCarrier | undefined, method, request, res.status, started, traced);
          return res;
        },
        (error: unknown) => {
          finish(env as RouteCarrier | undefined, method, request, 500, started, traced);
          throw error;
        },
      );
    finish(env as RouteCarrier | undefined, method, request, answer.status, started, traced);
    return answer;
  };
}

const ROUTE = Symbol('route template');
const REQUEST_ID = Symbol('request id');
type RouteCarrier = { [ROUTE]?: string; [REQUEST_ID]?: string };

/** The request id for the access-log line, carried like the route template (request-id.ts sets it). */
export function carryRequestId(c: Context, id: string): void {
  const env = c.env as RouteCarrier | undefined;
  if (env !== undefined && env !== null) env[REQUEST_ID] = id;
}

/**
 * A hot route names its own template for the request's log line and histogram, sparing a
 * second router match per request (the router's trie walk costs a few percent of an L1 hit).
 * Carried on @hono/node-server's per-request bindings object; without one (app.request in
 * tests) the router is asked instead.
 */
export function nameRoute(c: Context, template: string): void {
  const env = c.env as RouteCarrier | undefined;
  if (env !== undefined && env !== null) env[ROUTE] = template;
}

/**
 * The route template that answers a method and path (`/api/products/:id`), or `unmatched`:
 * never the raw path. Asks the app's own router, as Hono's dispatch does, and takes the last
 * handler that is a route rather than middleware (method ALL).
 */
class RouteTemplates {
  constructor(private readonly app: ShopApp) {}

  of(method: string, path: string): string {
    const m = method === 'HEAD' ? 'GET' : method;
    const [handlers] = this.app.router.match(m, path);
    for (let i = handlers.length - 1; i >= 0; i--) {
      const route = handlers[i]![0][1];
      if (route.method !== 'ALL') return route.path;
    }
    return 'unmatched';
  }
}
