import { isSpanContextValid, TraceFlags, trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import type { HttpMetrics } from '../../observability/http-metrics.ts';
import type { Logger } from '../../observability/logger.ts';
import { routeTemplate } from '../route-template.ts';

/**
 * One log line and one histogram observation per request, both keyed by route template. With
 * tracing on, every log line carries its trace id, and a sampled request's goes on the histogram
 * as an exemplar.
 */
export function observeRequests(logger: Logger, metrics: HttpMetrics | undefined): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1e3;
      const route = routeTemplate(c);
      const status = c.res.status;
      const spanContext = trace.getActiveSpan()?.spanContext();
      const traceId = spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
      // Exemplars only for sampled requests: an exemplar must lead to a trace that was kept.
      const sampled = traceId !== undefined && (spanContext!.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
      metrics?.observe(c.req.method, route, status, seconds, sampled ? traceId : undefined);
      if (logger.isLevelEnabled('info')) {
        logger.info(
          {
            method: c.req.method,
            route,
            status,
            durationMs: Math.round(seconds * 1e6) / 1e3,
            requestId: c.var.requestId,
            ...(traceId ? { traceId } : {}),
          },
          'request',
        );
      }
    }
  };
}
