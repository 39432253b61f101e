import type Database from 'better-sqlite3';
import pg from 'pg';
import type { Service } from '../../src/service.ts';

type Param = string | number;

/** bigint (COUNT, SUM) as a number, as SQLite returns it: test counts are small. */
export const numericBigint = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * One SQL statement straight on the service's store, bypassing the cache, whichever backend
 * runs: `?` placeholders (numbered for PostgreSQL), plain SQL both dialects understand.
 */
export async function storeRows<T>(service: Service, sql: string, ...params: Param[]): Promise<T[]> {
  const store = service.store;
  if (store.backend === 'sqlite') return store.db.prepare(sql).all(...params) as T[];
  let n = 0;
  const text = sql.replace(/\?/g, () => `$${++n}`);
  const result = await store.pool.pool.query({ text, values: params, types: numericBigint });
  return result.rows as T[];
}

export async function storeRow<T>(service: Service, sql: string, ...params: Param[]): Promise<T | undefined> {
  return (await storeRows<T>(service, sql, ...params))[0];
}

/** The SQLite handle, for tests about SQLite itself. */
export function sqliteDb(service: Service): Database.Database {
  if (service.store.backend !== 'sqlite') throw new Error('this test reads SQLite internals');
  return service.store.db;
}
