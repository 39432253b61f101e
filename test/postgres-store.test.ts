import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.ts';
import { EXIT_CODES } from '../src/config/startup-error.ts';
import { toTsQuery } from '../src/shop/postgres/product-search.ts';
import { SEED_CATEGORIES } from '../src/shop/seed.ts';
import { databaseStartupFailure, describeDatabase } from '../src/startup/database.ts';
import { startApiProcess } from './harness/api-process.ts';
import { usePostgresServer } from './harness/backends.ts';
import { startTestService, testNamespace } from './harness/service.ts';
import { storeRow } from './harness/store-sql.ts';

const postgres = usePostgresServer();
const SECRET = 'pw-Secr3t-do-not-print';

describe('PostgreSQL configuration', () => {
  it('selects PostgreSQL only with DATABASE_URL, with bounded pool defaults', () => {
    const config = loadConfig({ DATABASE_URL: `postgres://shop:${SECRET}@db.internal:5433/shop` });
    expect(config).toMatchObject({
      DATABASE_POOL_MAX: 10,
      DATABASE_POOL_MAX_WAITING: 1_000,
      DATABASE_CONNECT_TIMEOUT_MS: 2_000,
      DATABASE_STATEMENT_TIMEOUT_MS: 2_000,
      DATABASE_POOL_IDLE_TIMEOUT_MS: 10_000,
    });
    expect(loadConfig({}).DATABASE_URL).toBeUndefined();
    expect(describeDatabase(config)).toBe('postgresql://db.internal:5433/shop');
  });

  it('refuses a URL that is not postgres:// without echoing it', () => {
    for (const bad of [`mysql://u:${SECRET}@h/db`, `postgres://u:${SECRET}@/db`, `postgres://u:${SECRET}@h`, SECRET]) {
      let problems: string[] = [];
      try {
        loadConfig({ DATABASE_URL: bad });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        problems = (error as ConfigError).problems;
      }
      expect(problems.join('\n')).toMatch(/^DATABASE_URL: expected postgres:\/\//);
      expect(problems.join('\n')).not.toContain(SECRET);
    }
  });

  it('words a start-up failure with host, port and database, never the password', () => {
    const config = loadConfig({ DATABASE_URL: `postgresql://shop:${SECRET}@db:5432/shop` });
    const failure = databaseStartupFailure(config, new Error(`password authentication failed (${SECRET})`));
    expect(failure.exitCode).toBe(EXIT_CODES.database);
    expect(failure.message).toContain('postgresql://db:5432/shop');
    expect(failure.message).not.toContain(SECRET);
  });

  it('turns search words into required prefixes, as FTS5 gets them on SQLite', () => {
    expect(toTsQuery('Red  roses!')).toBe("'Red':* & 'roses':*");
    expect(toTsQuery("'); DROP TABLE products; --")).toBe("'DROP':* & 'TABLE':* & 'products':*");
    expect(toTsQuery('*** ---')).toBeUndefined();
  });
});

describe('PostgreSQL start-up', () => {
  it('three instances starting at once on an empty database migrate and seed it exactly once', async () => {
    const url = await postgres().createDatabase();
    const starts = await Promise.allSettled(
      [0, 1, 2].map(() => startTestService({ redis: false, namespace: testNamespace(), env: { DATABASE_URL: url } })),
    );
    const services = starts.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      expect(starts.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const one = services[0]!.service;
      expect(await storeRow(one, 'SELECT COUNT(*) AS n FROM products')).toEqual({ n: 300 });
      expect(await storeRow(one, 'SELECT COUNT(*) AS n FROM categories')).toEqual({ n: SEED_CATEGORIES.length });
      expect(await storeRow(one, 'SELECT COUNT(*) AS n FROM schema_migrations')).toEqual({ n: 1 });
      // The same catalogue as SQLite: a fresh SQLite instance answers product 42 identically.
      const sqlite = await startTestService({ redis: false });
      try {
        const fromSqlite = await (await sqlite.request('/api/products/42')).json();
        const fromPostgres = await (await services[1]!.request('/api/products/42')).json();
        expect(fromPostgres).toEqual(fromSqlite);
      } finally {
        await sqlite.close();
      }
    } finally {
      await Promise.all(services.map((s) => s.close()));
    }
  });

  it('a server refusing the credentials: exit code 4, one line naming where, never the password', async () => {
    const good = new URL(await postgres().createDatabase());
    good.password = SECRET;
    const started = startApiProcess({
      redis: false,
      env: { DATABASE_URL: good.toString() },
      readyWhen: 'answering',
      readyTimeoutMs: 20_000,
    });
    const error = await started.then(
      async (api) => {
        await api.stop();
        return undefined;
      },
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    expect(error).toBeDefined();
    expect(error).toContain(`"code":${EXIT_CODES.database}`);
    expect(error).toMatch(/DATABASE_URL: cannot use PostgreSQL at postgresql:\/\/127\.0\.0\.1:\d+\/shop_/);
    expect(error).not.toContain(SECRET);
  });
});
