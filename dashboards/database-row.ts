import {
  dbErrorRatio,
  dbErrors,
  dbPoolConnections,
  dbPoolMax,
  dbPoolWaiting,
  dbQueryLatency,
  dbQueryRate,
} from '../src/observability/promql/db-queries.ts';
import { from, type RowSpec } from './panels.ts';

/** The shop's database behind the cache's loaders: SQLite or PostgreSQL (label backend). */
export function databaseRow(): RowSpec {
  return {
    title: 'Database',
    description:
      'Queries, failures and the connection pool of the database behind the cache (backend sqlite or postgresql). Every attempt is timed, failures included.',
    panels: [
      {
        title: 'Queries by statement',
        description: 'Query attempts per second by backend and statement (a fixed set of named statements).',
        unit: 'ops',
        targets: [from(dbQueryRate)],
      },
      {
        title: 'Query duration p50/p99 by statement',
        description:
          'Time per query attempt, failures included, by backend and statement. Exemplars link to the trace of the request that ran it.',
        unit: 's',
        targets: dbQueryLatency.map((q) => from(q, { exemplar: true })),
      },
      {
        title: 'Error ratio by backend',
        description:
          'Failed / all query attempts over 5m per job and backend: the recording rule backend:db_errors:ratio_rate5m, the same series the database alert reads.',
        unit: 'percentunit',
        min: 0,
        w: 8,
        targets: [from(dbErrorRatio)],
      },
      {
        title: 'Errors by kind',
        description:
          'Failed query attempts per second by backend, statement and kind: timeout, unavailable (cannot connect or read-only), pool_exhausted (no connection within the wait bound), conflict (serialization, lock), other.',
        unit: 'ops',
        w: 8,
        stack: true,
        targets: [from(dbErrors)],
      },
      {
        title: 'Connection pool',
        description:
          'PostgreSQL pool connections in use and idle against the pool size, and requests waiting for a connection. Waiting above zero for long means the pool is too small or queries too slow.',
        unit: 'short',
        w: 8,
        targets: [from(dbPoolConnections), from(dbPoolMax), from(dbPoolWaiting)],
      },
    ],
  };
}
