import { defineQuery, quantileQueries } from './query.ts';

/**
 * The shop's database (SQLite or PostgreSQL): every query attempt is timed, failures included;
 * errors by kind; the PostgreSQL pool. The error ratio is the recording rule the alert reads,
 * so panel and alert share one definition.
 */

export const dbQueryRate = defineQuery(
  'Database queries by statement',
  '{{backend}} {{statement}}',
  (s) => `sum by (backend, statement) (${s.rate(s.of('db_query_duration_seconds_count'))})`,
);

export const dbQueryLatency = quantileQueries(
  'Database query duration',
  'db_query_duration_seconds',
  ['backend', 'statement'],
  (s, m) => s.of(m),
  [0.5, 0.99],
);

export const dbErrors = defineQuery(
  'Database errors by kind',
  '{{backend}} {{statement}} {{kind}}',
  (s) => `sum by (backend, statement, kind) (${s.rate(s.of('db_errors_total'))})`,
);

/** Recorded by rules (sum by job and backend of errors / queries over 5m): instance is not a label of it. */
export const dbErrorRatio = defineQuery(
  'Database error ratio',
  '{{job}} {{backend}}',
  (s) => `backend:db_errors:ratio_rate5m{${s.scope.matchers.filter((m) => m.startsWith('job')).join(', ')}}`,
);

export const dbPoolConnections = defineQuery(
  'Pool connections by state',
  '{{backend}} {{state}}',
  (s) => `sum by (backend, state) (${s.of('db_pool_connections')})`,
);
export const dbPoolMax = defineQuery(
  'Pool size',
  'max {{backend}}',
  (s) => `sum by (backend) (${s.of('db_pool_max_connections')})`,
);
export const dbPoolWaiting = defineQuery(
  'Requests waiting for a connection',
  'waiting {{backend}}',
  (s) => `sum by (backend) (${s.of('db_pool_waiting')})`,
);
