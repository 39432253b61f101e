import type { SeedOptions } from '../seed.ts';
import type { PoolStats, ShopStore, StoreHealth } from '../store.ts';
import type { DbErrorKind, StoreObserver } from '../store-observer.ts';
import { PostgresCatalogStore } from './catalog-store.ts';
import { PostgresOrderStore } from './order-store.ts';
import { isUnavailableKind, PostgresPool, type PostgresPoolOptions } from './pool.ts';
import { PostgresRunner } from './runner.ts';
import { MIGRATION_LOCK_ID, migrate } from './schema.ts';
import { seedIfEmpty } from './seed.ts';

/** How often readiness re-checks the database when no request has told it anything. */
const PROBE_INTERVAL_MS = 1_000;

export interface OpenPostgresOptions extends PostgresPoolOptions {
  seed: SeedOptions;
  observer: StoreObserver;
}

/**
 * The shop on PostgreSQL: a bounded pool, migrations and the seed applied once under an
 * advisory lock, readiness kept current by requests' outcomes and a background probe (so
 * /readyz answers without a query, and heals by itself when the database returns).
 */
export class PostgresStore implements ShopStore {
  readonly backend = 'postgresql' as const;
  readonly catalog: PostgresCatalogStore;
  readonly orders: PostgresOrderStore;
  readonly pool: PostgresPool;
  private readonly runner: PostgresRunner;
  private state: StoreHealth = { status: 'up' };
  private probe: NodeJS.Timeout | undefined;
  private probing = false;

  private constructor(options: OpenPostgresOptions) {
    this.pool = new PostgresPool(options, (error) => this.markDown(error));
    this.runner = new PostgresRunner(this.pool, options.observer, (kind, error) => this.outcome(kind, error));
    this.catalog = new PostgresCatalogStore(this.runner);
    this.orders = new PostgresOrderStore(this.runner);
  }

  /** Connects, migrates and seeds (once, whichever instance gets the lock first). Returns whether it seeded. */
  static async open(options: OpenPostgresOptions): Promise<{ store: PostgresStore; seeded: boolean }> {
    const store = new PostgresStore(options);
    try {
      const seeded = await store.runner.query('migrate', async (client) => {
        // A session lock: every instance starting now waits here; the first migrates and seeds, the rest find it done.
        await client.query('SET statement_timeout = 0');
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
        try {
          await migrate(client);
          return await seedIfEmpty(client, options.seed);
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
          await client.query('RESET statement_timeout').catch(() => undefined);
        }
      });
      store.startProbe();
      return { store, seeded };
    } catch (error) {
      await store.pool.end().catch(() => undefined);
      throw error;
    }
  }

  health(): StoreHealth {
    return this.state;
  }

  poolStats(): PoolStats {
    return this.pool.stats();
  }

  async close(): Promise<void> {
    if (this.probe) clearInterval(this.probe);
    await this.pool.end();
  }

  private startProbe(): void {
    this.probe = setInterval(() => {
      if (this.probing) return;
      this.probing = true;
      // Reads a real table: `SELECT 1` would succeed with the catalogue unreadable.
      this.runner
        .query('probe', (q) => q.query('SELECT id FROM products LIMIT 1'))
        .catch(() => undefined)
        .finally(() => {
          this.probing = false;
        });
    }, PROBE_INTERVAL_MS);
    this.probe.unref();
  }

  private outcome(kind: DbErrorKind | undefined, error?: unknown): void {
    if (kind === undefined) {
      if (this.state.status !== 'up') this.state = { status: 'up' };
    } else if (isUnavailableKind(kind) && kind !== 'pool_exhausted') {
      // A full pool is a busy database, not a missing one: it stays ready.
      this.markDown(error);
    }
  }

  private markDown(error: unknown): void {
    this.state = { status: 'down', error: describe(error) };
  }
}

/** A driver message says what failed; it never carries the connection string. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'the database cannot be reached';
  const code = 'code' in error && typeof error.code === 'string' ? ` (${error.code})` : '';
  return `${error.message}${code}`;
}
