import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './api-process.ts';

/**
 * A throwaway PostgreSQL server for tests: Debian's `initdb` and `pg_ctl` (package `postgresql`,
 * installed by scripts/ensure-system-deps.sh), a data folder in a temp directory, a free loopback
 * port, never the system server on 5432. PostgreSQL refuses to run as root, so under root (CI)
 * every server binary runs as the unprivileged `postgres` user the Debian package creates, and
 * the temp directory is handed to it.
 */
export interface PostgresServer {
  readonly port: number;
  /** `postgres://shop:<password>@127.0.0.1:<port>/postgres`: the maintenance database. */
  readonly adminUrl: string;
  /** A fresh, empty database on this server; its DATABASE_URL. */
  createDatabase(name?: string): Promise<string>;
  /** `pg_ctl stop -m fast`: connections are cut, the data stays (an outage). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data (the outage ends). */
  start(): Promise<void>;
  readonly running: boolean;
  /** The server's own log (for a failing test's message). */
  log(): string;
  /** Stops the server and removes its folder. */
  remove(): Promise<void>;
}

export const POSTGRES_USER = 'shop';

/** The newest installed server version's bin folder, e.g. /usr/lib/postgresql/15/bin. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined)
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run scripts/ensure-system-deps.sh',
    );
  return join(root, newest, 'bin');
}

interface RunAs {
  uid: number;
  gid: number;
}

/** Root cannot run PostgreSQL: the `postgres` system user's ids, or undefined when not root. */
function unprivilegedUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0)
    throw new Error('running as root needs the unprivileged `postgres` user (Debian package postgresql)');
  return { uid, gid };
}

function run(bin: string, args: string[], runAs: RunAs | undefined, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      // The postgres user's HOME is not ours; a locale the server knows.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${bin} ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

const live = new Set<() => void>();
let exitHookInstalled = false;
function onExitStop(stop: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test run that dies must not leave a server behind.
    process.once('exit', () => {
      for (const s of live) s();
    });
  }
  live.add(stop);
  return () => live.delete(stop);
}

/** initdb + pg_ctl start; resolves once the server accepts connections. */
export async function startPostgres(options: { settings?: Record<string, string> } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const runAs = unprivilegedUser();
  const dir = mkdtempSync(join(tmpdir(), 'flower-shop-pg-'));
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const passwordFile = join(dir, 'password');
  const password = randomBytes(12).toString('hex');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid);
  await run(
    join(bin, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      POSTGRES_USER,
      `--pwfile=${passwordFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ],
    runAs,
  );
  rmSync(passwordFile, { force: true });
  const port = await freePort();
  // Durability is not what these tests measure: fsync off keeps them fast on a busy machine.
  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '200',
    ...options.settings,
  };
  writeFileSync(
    join(dataDir, 'postgresql.auto.conf'),
    Object.entries(settings)
      .map(([k, v]) => `${k} = '${v}'`)
      .join('\n')
      .concat('\n'),
  );
  if (runAs) chownSync(join(dataDir, 'postgresql.auto.conf'), runAs.uid, runAs.gid);
  const pgCtl = join(bin, 'pg_ctl');
  let running = false;
  const start = async () => {
    await run(pgCtl, ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start'], runAs);
    running = true;
  };
  const stop = async () => {
    await run(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'], runAs);
    running = false;
  };
  const stopSync = () => {
    spawnSync(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], {
      stdio: 'ignore',
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    });
  };
  const forget = onExitStop(() => {
    stopSync();
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    await start();
  } catch (error) {
    forget();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const base = `postgres://${POSTGRES_USER}:${password}@127.0.0.1:${port}`;
  const adminUrl = `${base}/postgres`;
  return {
    port,
    adminUrl,
    get running() {
      return running;
    },
    async createDatabase(name) {
      const database = name ?? `shop_${randomBytes(5).toString('hex')}`;
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error(`bad database name ${database}`);
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${database}`);
      } finally {
        await client.end();
      }
      return `${base}/${database}`;
    },
    stop,
    start,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async remove() {
      forget();
      if (running) await stop().catch(() => stopSync());
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
