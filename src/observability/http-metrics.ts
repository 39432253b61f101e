import { Histogram } from 'prom-client';
import { type HistogramChild, histogramChild } from './histogram-child.ts';
import { HTTP_METHODS, httpMethodLabel, statusLabel } from './labels.ts';
import type { MetricsStore } from './metrics-registry.ts';

export const HTTP_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * http_server_request_duration_seconds by method, route template and status. Children are kept
 * per label combination (bounded: methods and statuses are fixed sets, routes are the app's
 * templates): per route, then by a small number made of the method and the status, so a request
 * costs two map look-ups on keys that need no hashing work (the route template is one string
 * object per route, whose hash V8 keeps), not a label hash or a string built per request.
 */
export class HttpMetrics {
  private readonly histogram: Histogram<HttpLabels>;
  private readonly children = new Map<string, Map<number, HistogramChild>>();

  constructor(registry: MetricsStore) {
    this.histogram = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP requests by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_LATENCY_BUCKETS,
      enableExemplars: true,
      registers: [registry],
    });
  }

  observe(method: string, route: string, status: number, seconds: number, traceId: string | undefined): void {
    let byStatus = this.children.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.children.set(route, byStatus);
    }
    // Method label index (HTTP_METHODS, then `other`) and status label (0 for `other`) in one number.
    const known = HTTP_METHODS.indexOf(method as (typeof HTTP_METHODS)[number]);
    const labelled = Number.isInteger(status) && status >= 100 && status <= 599; // as statusLabel decides
    const key = (known === -1 ? HTTP_METHODS.length : known) * 1000 + (labelled ? status : 0);
    // The child comes first even for a traced request: creating it zeroes the entry it records into.
    let child = byStatus.get(key);
    if (!child) {
      child = histogramChild(this.histogram, {
        method: httpMethodLabel(method),
        route,
        status_code: statusLabel(status),
      });
      byStatus.set(key, child);
    }
    // A sampled request's trace id becomes its bucket's exemplar (the child writes it in place).
    if (traceId !== undefined) child.observeWithExemplar(seconds, traceId);
    else child.observe(seconds);
  }
}

type HttpLabels = 'method' | 'route' | 'status_code';
