import { SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { PoolStats, StoreBackend } from '../shop/store.ts';
import {
  DB_ERROR_KINDS,
  type DbErrorKind,
  STATEMENT_INFO,
  STATEMENTS,
  type StatementName,
  type StoreObserver,
} from '../shop/store-observer.ts';
import type { MetricsStore } from './metrics-registry.ts';

/** From half a millisecond (an SQLite point read) to the statement timeout's range. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The shop's database work as metrics and spans, whichever backend runs:
 *   db_query_duration_seconds{backend, statement}       every attempt, failures included
 *   db_errors_total{backend, statement, kind}           failures by kind
 *   db_pool_connections{backend, state}, db_pool_max_connections{backend}, db_pool_waiting{backend}
 *                                                        read from the pool at scrape time (PostgreSQL)
 * Spans follow the OpenTelemetry database conventions (db.system.name, db.operation.name,
 * db.collection.name, db.query.summary); on PostgreSQL the pg instrumentation's statement spans
 * nest under them.
 */
export class DatabaseMetrics implements StoreObserver {
  private readonly duration: Histogram<'backend' | 'statement'>;
  private readonly errors: Counter<'backend' | 'statement' | 'kind'>;
  private readonly tracer: Tracer | undefined;
  private poolStats: (() => PoolStats | undefined) | undefined;

  constructor(
    private readonly registry: MetricsStore | undefined,
    backend: StoreBackend,
    options: { tracing?: boolean } = {},
  ) {
    const registers = registry ? [registry] : [];
    this.duration = new Histogram({
      name: 'db_query_duration_seconds',
      help: 'Database operations by statement name: every attempt, failed ones included.',
      labelNames: ['backend', 'statement'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.errors = new Counter({
      name: 'db_errors_total',
      help: 'Failed database operations by kind (timeout, unavailable, pool_exhausted, conflict, other).',
      labelNames: ['backend', 'statement', 'kind'],
      registers,
    });
    // Every series exists from the start at zero, so rate() and alerts see the first error.
    for (const statement of STATEMENTS)
      for (const kind of DB_ERROR_KINDS) this.errors.labels({ backend, statement, kind }).inc(0);
    this.tracer = options.tracing ? trace.getTracer('flower-shop-database') : undefined;
  }

  /** Registers the pool gauges, read at each scrape. */
  attachPool(backend: StoreBackend, stats: () => PoolStats | undefined): void {
    if (!this.registry || this.poolStats) return;
    this.poolStats = stats;
    const registers = [this.registry];
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database connections of the pool, in use by a request or idle.',
      labelNames: ['backend', 'state'],
      registers,
      collect() {
        const s = stats();
        if (!s) return;
        this.set({ backend, state: 'in_use' }, s.inUse);
        this.set({ backend, state: 'idle' }, s.idle);
      },
    });
    new Gauge({
      name: 'db_pool_max_connections',
      help: 'The most connections the pool opens (DATABASE_POOL_MAX).',
      labelNames: ['backend'],
      registers,
      collect() {
        const s = stats();
        if (s) this.set({ backend }, s.max);
      },
    });
    new Gauge({
      name: 'db_pool_waiting',
      help: 'Requests waiting for a free database connection (bounded by DATABASE_POOL_MAX_WAITING).',
      labelNames: ['backend'],
      registers,
      collect() {
        const s = stats();
        if (s) this.set({ backend }, s.waiting);
      },
    });
  }

  async run<T>(
    backend: StoreBackend,
    statement: StatementName,
    operation: () => Promise<T>,
    classify: (error: unknown) => DbErrorKind | undefined,
  ): Promise<T> {
    const started = performance.now();
    const traced = this.tracer && trace.getActiveSpan()?.isRecording() ? this.tracer : undefined;
    const attempt = async (): Promise<T> => {
      try {
        return await operation();
      } catch (error) {
        const kind = classify(error);
        if (kind !== undefined) this.errors.labels({ backend, statement, kind }).inc();
        throw error;
      } finally {
        this.duration.labels({ backend, statement }).observe((performance.now() - started) / 1000);
      }
    };
    if (!traced) return attempt();
    const info = STATEMENT_INFO[statement];
    return traced.startActiveSpan(
      `${info.operation} ${info.collection}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': backend,
          'db.operation.name': info.operation,
          'db.collection.name': info.collection,
          'db.query.summary': `${info.operation} ${info.collection}`,
          'shop.db.statement': statement,
        },
      },
      async (span) => {
        try {
          return await attempt();
        } catch (error) {
          const kind = classify(error);
          if (kind !== undefined) {
            span.setAttribute('error.type', kind);
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }
}
