import { trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../observability/logger.ts';
import type { HttpMetrics } from '../../observability/http-metrics.ts';
import { routeTemplate } from '../route-template.ts';

/**
 * One log line and one histogram observation per request, both keyed by route template. The
 * trace id (of a sampled request) goes on the log line and on the histogram as an exemplar.
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
      const sampled = spanContext !== undefined && (spanContext.traceFlags & 1) === 1;
      const traceId = sampled ? spanContext.traceId : undefined;
      metrics?.observe(c.req.method, route, status, seconds, traceId);
      if (logger.isLevelEnabled('info')) {
        logger.info({ method: c.req.method, route, status, durationMs: Math.round(seconds * 1e6) / 1e3, ...(traceId ? { traceId } : {}) }, 'request');
      }
    }
  };
}
