import { Gauge } from 'prom-client';
import type { MetricsStore } from './metrics-registry.ts';

/** http_server_open_connections: TCP connections the HTTP listeners hold now, read at scrape time. */
export function registerOpenConnectionsGauge(registry: MetricsStore, openConnections: () => number): void {
  new Gauge({
    name: 'http_server_open_connections',
    help: 'Open HTTP connections (API and metrics listeners); new ones are refused at HTTP_MAX_CONNECTIONS.',
    registers: [registry],
    collect() {
      this.set(openConnections());
    },
  });
}
