import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { StartupError } from './startup-error.ts';

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error';
}

/** What to tell the operator when `host:port` cannot be bound. */
export function listenFailure(variable: string, host: string, port: number, error: unknown): StartupError {
  const where = `${host}:${port}`;
  const code = codeOf(error);
  const message =
    code === 'EADDRINUSE'
      ? `${variable}: ${where} is already in use by another process; stop it or set ${variable} to a free port`
      : code === 'EACCES'
        ? `${variable}: binding ${where} is not permitted (EACCES); use a port above 1023 or grant CAP_NET_BIND_SERVICE`
        : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
          ? `HOST: ${host} is not an address of this machine (${code}); set HOST to one of its addresses, or 0.0.0.0`
          : `${variable}: cannot listen on ${where} (${code})`;
  return new StartupError('port', message);
}

/** Binds and releases host:port, so a port in use is reported before anything else is started. */
export function assertPortFree(variable: string, host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolvePromise, reject) => {
    const probe = createServer();
    probe.once('error', (error) => reject(listenFailure(variable, host, port, error)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolvePromise()));
  });
}

/**
 * The SQLite file must be creatable and writable, and so must its folder (WAL mode writes
 * `-wal` and `-shm` files beside it). The folder is created if missing.
 */
export function assertDatabaseWritable(path: string): void {
  const file = resolve(path);
  const dir = dirname(file);
  const fail = (what: string, error: unknown) =>
    new StartupError(
      'database',
      `DATABASE_PATH: cannot ${what} (${codeOf(error)}); set DATABASE_PATH to a writable location or fix the permissions`,
    );
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw fail(`create the folder ${dir}`, error);
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw fail(`write in the folder ${dir}`, error);
  }
  if (!existsSync(file)) return;
  if (!statSync(file).isFile())
    throw new StartupError('database', `DATABASE_PATH: ${file} is not a file; point DATABASE_PATH at a SQLite file`);
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw fail(`write ${file}`, error);
  }
}
