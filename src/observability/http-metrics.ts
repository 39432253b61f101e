import { Histogram } from 'prom-client';
import { type HistogramChild, histogramChild } from './histogram-child.ts';
import { httpMethodLabel, statusLabel } from './labels.ts';
import type { MetricsStore } from './metrics-registry.ts';

export const HTTP_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * http_server_request_duration_seconds by method, route template and status. Children are kept
 * per label combination (bounded: methods and statuses are fixed sets, routes are the app's
 * templates), so a request costs one map look-up, not a label hash.
 */
export class HttpMetrics {
  private readonly histogram: Histogram<HttpLabels>;
  private readonly children = new Map<string, HistogramChild>();

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
    const m = httpMethodLabel(method);
    const s = statusLabel(status);
    const id = `${m} ${route} ${s}`;
    let child = this.children.get(id);
    if (!child) {
      child = histogramChild(this.histogram, { method: m, route, status_code: s });
      this.children.set(id, child);
    }
    // A sampled request's trace id becomes its bucket's exemplar (the child writes it in place).
    if (traceId !== undefined) child.observeWithExemplar(seconds, traceId);
    else child.observe(seconds);
  }
}

type HttpLabels = 'method' | 'route' | 'status_code';
