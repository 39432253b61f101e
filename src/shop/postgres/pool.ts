import pg from 'pg';
import type { DbErrorKind } from '../store-observer.ts';

export interface PostgresPoolOptions {
  url: string;
  /** Connections at most; requests beyond wait in a bounded queue. */
  max: number;
  /** Requests allowed to wait for a connection; one more fails at once (pool exhausted). */
  maxWaiting: number;
  /** Bound on opening a connection and on waiting for a free one. */
  connectTimeoutMs: number;
  /** Server-side statement_timeout; the client gives up a little after (a hung network). */
  statementTimeoutMs: number;
  idleTimeoutMs: number;
}

/** The pool is full and so many requests already wait that one more would only wait longer. */
export class PoolExhaustedError extends Error {
  constructor(readonly waiting: number) {
    super(`no database connection free and ${waiting} requests already waiting`);
    this.name = 'PoolExhaustedError';
  }
}

/** Waiting for a connection of a full pool timed out. */
export class PoolWaitTimeoutError extends Error {
  constructor(cause: unknown) {
    super('timed out waiting for a free database connection', { cause });
    this.name = 'PoolWaitTimeoutError';
  }
}

export type Queryable = Pick<pg.PoolClient, 'query'>;

/** A node-postgres Pool with every wait bounded: connecting, queueing, each statement. */
export class PostgresPool {
  readonly pool: pg.Pool;

  constructor(
    private readonly options: PostgresPoolOptions,
    onIdleError: (error: Error) => void,
  ) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.max,
      connectionTimeoutMillis: options.connectTimeoutMs,
      idleTimeoutMillis: options.idleTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      query_timeout: options.statementTimeoutMs + 1_000,
      // No lock waits past the statement's own bound either.
      lock_timeout: options.statementTimeoutMs,
      application_name: 'flower-shop-api',
      keepAlive: true,
      // bigint (ids, COUNT, SUM) as a JavaScript number: ids stay below 2^53 as on SQLite, counts far below.
      types: { getTypeParser: bigintAsNumber },
    });
    // An idle connection dropped by the server (restart, outage) must not crash the process.
    this.pool.on('error', onIdleError);
  }

  get max(): number {
    return this.options.max;
  }

  async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const full = this.pool.totalCount >= this.options.max && this.pool.idleCount === 0;
    if (full && this.pool.waitingCount >= this.options.maxWaiting) throw new PoolExhaustedError(this.pool.waitingCount);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw full && isConnectTimeout(error) ? new PoolWaitTimeoutError(error) : error;
    }
    let broken: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      if (kindOfPostgresError(error) === 'unavailable' || kindOfPostgresError(error) === 'timeout')
        broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      // A connection that failed or timed out mid-statement is discarded, not handed to the next caller.
      client.release(broken);
    }
  }

  /** One transaction on one connection; rolled back on any error. */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>, isolation = 'READ COMMITTED'): Promise<T> {
    return this.withClient(async (client) => {
      await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  stats() {
    const { totalCount, idleCount, waitingCount } = this.pool;
    return { inUse: totalCount - idleCount, idle: idleCount, waiting: waitingCount, max: this.options.max };
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

const bigintAsNumber = ((oid: number, format?: 'text' | 'binary') =>
  oid === pg.types.builtins.INT8
    ? (value: string) => Number(value)
    : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'];

function isConnectTimeout(error: unknown): boolean {
  return error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message);
}

function codeOf(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** PostgreSQL's error classes (SQLSTATE) and node-postgres's own failures, as the metrics count them. */
export function kindOfPostgresError(error: unknown): DbErrorKind | undefined {
  if (error instanceof PoolExhaustedError || error instanceof PoolWaitTimeoutError) return 'pool_exhausted';
  if (!(error instanceof Error)) return 'other';
  const code = codeOf(error);
  if (code === undefined) {
    // Errors without a SQLSTATE come from the client: timeouts, refused or dropped connections.
    if (/timeout/i.test(error.message)) return 'timeout';
    if (/Connection terminated|not queryable|connection error|ECONN|EPIPE/i.test(error.message)) return 'unavailable';
    return 'other';
  }
  if (code === '57014' || code === '55P03') return 'timeout'; // statement or lock timeout
  if (/^(ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_)/.test(code)) return 'unavailable';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300')
    return 'unavailable'; // connection exceptions, shutdown, starting up, too many connections
  if (code.startsWith('23') || code === '40001' || code === '40P01') return 'conflict';
  return 'other';
}

/** A failure that says the database cannot answer now (a client may retry), not that the request is wrong. */
export function isUnavailableKind(kind: DbErrorKind | undefined): boolean {
  return kind === 'timeout' || kind === 'unavailable' || kind === 'pool_exhausted';
}

export function isUniqueViolation(error: unknown): boolean {
  return codeOf(error) === '23505';
}
