import {
  cacheInvalidations,
  invalidationLag,
  l2CircuitState,
  l2Errors,
} from '../observability/promql/cache-l2-queries.ts';
import {
  cacheCoalesced,
  cacheLoads,
  cacheLockTakeovers,
  cacheLockWaits,
} from '../observability/promql/cache-load-queries.ts';
import {
  cacheEvictionsByTier,
  cacheHitRatio,
  cacheOperationLatency,
  cacheRequestsByResult,
  l1BytesByInstance,
  l1EntriesByInstance,
  l1EntriesByPrefix,
} from '../observability/promql/cache-lookup-queries.ts';
import {
  http5xxByRoute,
  httpLatency,
  httpLatencyP99ByMethodRoute,
  httpRequestsByRoute,
} from '../observability/promql/http-queries.ts';
import type { PromQuery } from '../observability/promql/query.ts';

type Labels = Record<string, string>;

/**
 * How the console's series come from the dashboards' queries in fleet mode: each result series
 * (its labels) gives the console series it adds to. Several results landing on one name are
 * summed (rates over instances and prefixes) or, for `max`, the largest is kept (the fullest
 * instance against a per-process bound; the most open circuit).
 */
export interface FleetSeries {
  query: PromQuery;
  names(labels: Labels): string[];
  combine?: 'max';
}

/** The query of a p50/p95/p99 family whose name ends with `label`. */
function quantile(queries: readonly PromQuery[], label: 'p50' | 'p99'): PromQuery {
  const q = queries.find((x) => x.name.endsWith(` ${label}`));
  if (!q) throw new Error(`no ${label} among ${queries.map((x) => x.name).join(', ')}`);
  return q;
}

const route = (l: Labels): string => `${l['method']} ${l['route']}`;

function latency(queries: readonly PromQuery[], name: (l: Labels, p: string) => string): FleetSeries[] {
  return (['p50', 'p99'] as const).map((p) => ({ query: quantile(queries, p), names: (l) => [name(l, p)] }));
}

/** Every series the console charts, as the local history names them (src/console/derive-sample.ts). */
export const FLEET_SERIES: readonly FleetSeries[] = [
  { query: cacheHitRatio, names: (l) => [`hit_ratio.${l['tier']}.${l['prefix']}`] },
  { query: cacheRequestsByResult, names: (l) => [`requests.${l['tier']}.${l['result']}`] },
  {
    query: cacheEvictionsByTier,
    names: (l) => [`evictions.${l['tier']}.${l['prefix']}`, `evictions.${l['tier']}.${l['prefix']}.${l['reason']}`],
  },
  ...latency(cacheOperationLatency, (l, p) => `latency.${l['tier']}.${l['operation']}.${p}`),
  { query: l1EntriesByPrefix, names: (l) => [`l1.entries.${l['prefix']}`] },
  { query: l1EntriesByInstance, names: () => ['l1.entries'], combine: 'max' },
  { query: l1BytesByInstance, names: () => ['l1.bytes'], combine: 'max' },
  { query: cacheLoads, names: (l) => [`loads.${l['result']}`] },
  { query: cacheCoalesced, names: () => ['coalesced'] },
  { query: cacheLockWaits, names: () => ['lock_waits'] },
  { query: cacheLockTakeovers, names: () => ['lock_takeovers'] },
  { query: cacheInvalidations, names: (l) => [`invalidations.${l['source']}`] },
  ...latency(invalidationLag, (_l, p) => `bus_lag.${p}`),
  { query: l2Errors, names: (l) => [`l2_errors.${l['kind']}`, 'l2_errors'] },
  { query: l2CircuitState, names: () => ['circuit'], combine: 'max' },
  { query: httpRequestsByRoute, names: (l) => [`http.rps.${route(l)}`, 'http.rps'] },
  { query: http5xxByRoute, names: (l) => [`http.errors.${route(l)}`, 'http.errors'] },
  { query: httpLatencyP99ByMethodRoute, names: (l) => [`http.${route(l)}.p99`] },
  ...latency(httpLatency, (_l, p) => `http.${p}`),
];
