import { defineQuery } from './query.ts';

/** Node.js process health per instance. */

export const processCpu = defineQuery(
  'CPU',
  '{{instance}}',
  (s) => `sum by (instance) (${s.rate(s.of('process_cpu_seconds_total'))})`,
);
export const processRss = defineQuery('Resident memory', 'rss {{instance}}', (s) =>
  s.of('process_resident_memory_bytes'),
);
export const processHeapUsed = defineQuery('V8 heap used', 'heap used {{instance}}', (s) =>
  s.of('nodejs_heap_size_used_bytes'),
);
export const eventLoopLagP99 = defineQuery('Event loop lag p99', 'p99 {{instance}}', (s) =>
  s.of('nodejs_eventloop_lag_p99_seconds'),
);
export const eventLoopLag = defineQuery('Event loop lag now', 'now {{instance}}', (s) =>
  s.of('nodejs_eventloop_lag_seconds'),
);
/** Process start time: a change is a restart (the dashboards' restart annotation). */
export function restarts(startTimeMetric: string): ReturnType<typeof defineQuery> {
  return defineQuery('Restarts', '{{instance}}', (s) => `changes(${s.of(startTimeMetric)}[2m]) > 0`);
}
