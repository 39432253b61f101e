import type { Config } from '../config/config.ts';
import { StartupError } from '../config/startup-error.ts';
import { StoreUnavailableError } from '../shop/errors.ts';

/** How long a start waits for PostgreSQL to accept connections (a compose stack starts it alongside). */
export const DATABASE_START_WAIT_MS = 30_000;

/** Where the store is, for logs and errors: never the password (nor the user) of DATABASE_URL. */
export function describeDatabase(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_PATH'>): string {
  if (config.DATABASE_URL === undefined) return `sqlite:${config.DATABASE_PATH}`;
  const url = new URL(config.DATABASE_URL);
  return `postgresql://${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
}

/** Whether a failed start should be tried again: PostgreSQL not reachable yet. */
export function isDatabaseNotReady(error: unknown): boolean {
  return error instanceof StoreUnavailableError;
}

/**
 * What to tell the operator when PostgreSQL cannot be used: the server's own reason (bad
 * password, no such database, permission to migrate) and where, never the URL itself.
 */
export function databaseStartupFailure(config: Config, error: unknown): StartupError {
  const cause = error instanceof StoreUnavailableError ? error.cause : error;
  const code = cause instanceof Error && 'code' in cause && typeof cause.code === 'string' ? ` (${cause.code})` : '';
  const reason = cause instanceof Error ? cause.message : String(cause);
  const secret = config.DATABASE_URL ? new URL(config.DATABASE_URL).password : '';
  // A driver message may quote what it was given: strip the password wherever it appears.
  const safe = secret ? reason.split(decodeURIComponent(secret)).join('***').split(secret).join('***') : reason;
  return new StartupError(
    'database',
    `DATABASE_URL: cannot use PostgreSQL at ${describeDatabase(config)}: ${safe}${code}; check the server, the credentials and that the user may create tables`,
  );
}
