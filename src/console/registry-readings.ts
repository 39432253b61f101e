import type { MetricsStore as Registry } from '../observability/metrics-registry.ts';

/** A histogram summed over the labels the console does not split by: bounds and cumulative counts (+Inf last). */
export interface BucketCounts {
  bounds: number[];
  cumulative: number[];
}

/** Cumulative values read from the registry at one instant, keyed by the console's own names. */
export interface Readings {
  counters: Map<string, number>;
  gauges: Map<string, number>;
  histograms: Map<string, BucketCounts>;
}

type Labels = Partial<Record<string, string | number>>;
interface MetricValue {
  value: number;
  labels: Labels;
  metricName?: string;
}

/**
 * How each metric the console shows is summed: `key` names the series a sample adds to (or
 * undefined to skip it). Metrics another part of the service may not register (lock waits, bus
 * lag) are simply absent from the readings.
 */
const COUNTERS: Record<string, (l: Labels) => string | undefined> = {
  cache_requests_total: (l) => `req|${l.tier}|${l.prefix}|${l.result}`,
  cache_evictions_total: (l) => `evict|${l.tier}|${l.prefix}|${l.reason}`,
  cache_loads_total: (l) => `loads|${l.result}`,
  cache_coalesced_requests_total: () => 'coalesced',
  cache_lock_takeovers_total: () => 'lock_takeovers',
  cache_invalidations_total: (l) => `inval|${l.source}`,
  cache_l2_errors_total: (l) => `l2err|${l.kind}`,
};
const GAUGES: Record<string, (l: Labels) => string | undefined> = {
  cache_entries: (l) => (l.tier === 'l1' ? `entries|${l.prefix}` : undefined),
  cache_size_bytes: (l) => (l.tier === 'l1' ? 'bytes' : undefined),
  cache_l2_circuit_state: () => 'circuit',
};
const HISTOGRAMS: Record<string, (l: Labels) => string | undefined> = {
  cache_operation_duration_seconds: (l) => `op|${l.tier}|${l.operation}`,
  cache_lock_wait_seconds: () => 'lock_wait',
  cache_invalidation_lag_seconds: () => 'bus_lag',
  http_server_request_duration_seconds: (l) => httpKey(l),
};

/** The console's own routes are left out: a live stream would read as one very slow request. */
function httpKey(l: Labels): string | undefined {
  const route = String(l.route ?? '');
  if (route.startsWith('/console') || route === '/metrics') return undefined;
  return `http|${l.method} ${route}|${String(l.status_code ?? '').charAt(0)}xx`;
}

/** Reads the metrics the console shows, through prom-client's collect (the same path as a scrape). */
export async function readRegistry(registry: Registry): Promise<Readings> {
  const readings: Readings = { counters: new Map(), gauges: new Map(), histograms: new Map() };
  for (const [name, keyOf] of Object.entries(COUNTERS)) {
    for (const v of await valuesOf(registry, name)) add(readings.counters, keyOf(v.labels), v.value);
  }
  for (const [name, keyOf] of Object.entries(GAUGES)) {
    for (const v of await valuesOf(registry, name)) add(readings.gauges, keyOf(v.labels), v.value);
  }
  for (const [name, keyOf] of Object.entries(HISTOGRAMS)) {
    const partial = new Map<string, Map<number, number>>();
    for (const v of await valuesOf(registry, name)) {
      if (!v.metricName?.endsWith('_bucket')) continue;
      const key = keyOf(v.labels);
      if (key === undefined) continue;
      const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le);
      let buckets = partial.get(key);
      if (!buckets) {
        buckets = new Map();
        partial.set(key, buckets);
      }
      buckets.set(le, (buckets.get(le) ?? 0) + v.value);
    }
    for (const [key, buckets] of partial) {
      const ordered = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
      readings.histograms.set(key, {
        bounds: ordered.filter(([le]) => Number.isFinite(le)).map(([le]) => le),
        cumulative: ordered.map(([, count]) => count),
      });
    }
  }
  return readings;
}

async function valuesOf(registry: Registry, name: string): Promise<MetricValue[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  const data = await metric.get();
  return data.values as MetricValue[];
}

function add(map: Map<string, number>, key: string | undefined, value: number): void {
  if (key !== undefined) map.set(key, (map.get(key) ?? 0) + value);
}
