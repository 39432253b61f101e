import { afterAll, beforeAll } from 'vitest';
import type { StoreBackend } from '../../src/shop/store.ts';
import { type PostgresServer, startPostgres } from './postgres.ts';

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
