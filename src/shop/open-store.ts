import { PostgresStore } from './postgres/store.ts';
import type { SeedOptions } from './seed.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { StoreObserver } from './store-observer.ts';

export type OpenedStore = SqliteStore | PostgresStore;

export interface StoreSettings {
  /** postgres://…: PostgreSQL; unset: SQLite at sqlitePath. */
  databaseUrl?: string | undefined;
  sqlitePath: string;
  sqliteBusyTimeoutMs: number;
  pool: {
    max: number;
    maxWaiting: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
    idleTimeoutMs: number;
  };
  seed: SeedOptions;
  observer: StoreObserver;
}

/** The configured source of truth, migrated and seeded. */
export async function openStore(settings: StoreSettings): Promise<{ store: OpenedStore; seeded: boolean }> {
  if (settings.databaseUrl !== undefined)
    return PostgresStore.open({
      url: settings.databaseUrl,
      ...settings.pool,
      seed: settings.seed,
      observer: settings.observer,
    });
  return SqliteStore.open(settings.sqlitePath, {
    busyTimeoutMs: settings.sqliteBusyTimeoutMs,
    seed: settings.seed,
    observer: settings.observer,
  });
}
