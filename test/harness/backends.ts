import { existsSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { StoreBackend } from '../../src/shop/store.ts';
import { type PostgresServer, startPostgres } from './postgres.ts';
import { tempDatabase } from './service.ts';
import { numericBigint } from './store-sql.ts';

/** The shop's two sources of truth: the API tests run against each and must see the same contract. */
export const BACKENDS: readonly StoreBackend[] = ['sqlite', 'postgresql'];

/**
 * One throwaway PostgreSQL server for the test file that calls this (started before its tests,
 * removed after them); `storeEnv` gives each test group a fresh database on it.
 */
export function usePostgresServer(): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.remove();
  });
  return () => {
    if (!server)
      throw new Error('the PostgreSQL server is not started (call usePostgresServer at the top of the file)');
    return server;
  };
}

/** The environment selecting `backend`: nothing for SQLite (a fresh temp file), DATABASE_URL of a fresh database otherwise. */
export async function storeEnv(
  backend: StoreBackend,
  server: (() => PostgresServer) | undefined,
): Promise<Record<string, string>> {
  if (backend === 'sqlite') return {};
  if (!server) throw new Error('PostgreSQL tests need usePostgresServer()');
  return { DATABASE_URL: await server().createDatabase() };
}

/** A store several API processes share, and a way for the test to read it directly. */
export interface SharedStore {
  /** DATABASE_PATH for the processes: on PostgreSQL a path that must never be created. */
  readonly databasePath: string;
  /** DATABASE_URL on PostgreSQL, nothing on SQLite. */
  readonly env: Record<string, string>;
  /** Whether any SQLite file was written at databasePath (on PostgreSQL it must not be). */
  sqliteFileExists(): boolean;
  /** One SQL statement (`?` placeholders), read straight from the store. */
  rows<T>(sql: string, ...params: (string | number)[]): Promise<T[]>;
  remove(): Promise<void>;
}

export async function sharedStore(
  backend: StoreBackend,
  server: (() => PostgresServer) | undefined,
): Promise<SharedStore> {
  const temp = tempDatabase();
  if (backend === 'sqlite') {
    let db: Database.Database | undefined;
    return {
      databasePath: temp.path,
      env: {},
      sqliteFileExists: () => existsSync(temp.path),
      async rows<T>(sql: string, ...params: (string | number)[]) {
        db ??= new Database(temp.path, { readonly: true });
        return db.prepare(sql).all(...params) as T[];
      },
      async remove() {
        db?.close();
        temp.remove();
      },
    };
  }
  if (!server) throw new Error('PostgreSQL tests need usePostgresServer()');
  const url = await server().createDatabase();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    databasePath: temp.path,
    env: { DATABASE_URL: url },
    sqliteFileExists: () => existsSync(dirname(temp.path)) && readdirSync(dirname(temp.path)).length > 0,
    async rows<T>(sql: string, ...params: (string | number)[]) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      const result = await pool.query({ text, values: params, types: numericBigint });
      return result.rows as T[];
    },
    async remove() {
      await pool.end();
      temp.remove();
    },
  };
}
