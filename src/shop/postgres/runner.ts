import { isDomainError, StoreUnavailableError } from '../errors.ts';
import type { DbErrorKind, StatementName, StoreObserver } from '../store-observer.ts';
import { isUnavailableKind, kindOfPostgresError, type PostgresPool, type Queryable } from './pool.ts';

export function classifyPostgresError(error: unknown): DbErrorKind | undefined {
  return isDomainError(error) ? undefined : kindOfPostgresError(error);
}

/**
 * Runs each named operation on the pool, observed (every attempt timed, failures counted by
 * kind), and turns "the database cannot answer now" into StoreUnavailableError, the one
 * failure the HTTP layer knows (503).
 */
export class PostgresRunner {
  constructor(
    readonly pool: PostgresPool,
    private readonly observer: StoreObserver,
    private readonly onOutcome: (kind: DbErrorKind | undefined, error?: unknown) => void,
  ) {}

  /** Statements on one pooled connection, each committed on its own. */
  query<T>(statement: StatementName, work: (q: Queryable) => Promise<T>): Promise<T> {
    return this.run(statement, () => this.pool.withClient(work));
  }

  /** Statements in one READ COMMITTED transaction (row locks taken where a read decides a write). */
  transaction<T>(statement: StatementName, work: (q: Queryable) => Promise<T>): Promise<T> {
    return this.run(statement, () => this.pool.transaction(work));
  }

  private async run<T>(statement: StatementName, operation: () => Promise<T>): Promise<T> {
    try {
      const result = await this.observer.run('postgresql', statement, operation, classifyPostgresError);
      this.onOutcome(undefined);
      return result;
    } catch (error) {
      const kind = classifyPostgresError(error);
      this.onOutcome(kind, error);
      if (isUnavailableKind(kind)) throw new StoreUnavailableError(error);
      throw error;
    }
  }
}
