/**
 * docker-compose.yml: parses with the installed docker-compose (1.29; there is
 * no Docker engine here, so `config` is as far as it goes), pins every image,
 * references only files that exist, and keeps secrets out of the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startApiProcess } from './harness/api-process.ts';
import { type PostgresServer, startPostgres } from './harness/postgres.ts';
import { REPO_ROOT } from './helpers/dashboard-queries.ts';
import { run } from './helpers/promtool.ts';

const COMPOSE = join(REPO_ROOT, 'docker-compose.yml');
const ENV = {
  ...process.env,
  ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
  METRICS_TOKEN: 'test-metrics-token-0123456789',
  GRAFANA_ADMIN_PASSWORD: 'test-grafana-password',
  REDIS_PASSWORD: 'test-redis-password-5e1f',
  POSTGRES_PASSWORD: 'test-postgres-password-9c3a',
};

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  environment?: Record<string, string | null> | string[];
  profiles?: string[];
  command?: string | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  ports?: unknown[];
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** The compose file as docker-compose resolves it (anchors merged, variables interpolated). */
async function resolved(overrides: Record<string, string> = {}): Promise<ComposeFile> {
  const r = await run('docker-compose', ['-f', COMPOSE, '--profile', 'load', 'config'], {
    cwd: REPO_ROOT,
    env: { ...ENV, ...overrides },
  });
  expect(r.code, r.stderr).toBe(0);
  return parse(r.stdout) as ComposeFile;
}

/** image reference → tag, or undefined when there is none */
function tagOf(image: string): string | undefined {
  const lastSlash = image.lastIndexOf('/');
  const name = image.slice(lastSlash + 1).split('@')[0] ?? '';
  const colon = name.indexOf(':');
  return colon === -1 ? undefined : name.slice(colon + 1);
}

const PINNED = /^v?\d+(\.\d+){1,2}([-.][0-9A-Za-z.-]+)?$/;

describe('docker-compose.yml', () => {
  it('passes `docker-compose config`', async () => {
    const r = await run('docker-compose', ['-f', COMPOSE, 'config', '-q'], { cwd: REPO_ROOT, env: ENV });
    expect(r.code, r.stderr).toBe(0);
  });

  it('refuses to start without ADMIN_TOKEN (no literal secret in the file)', async () => {
    const env: NodeJS.ProcessEnv = { ...ENV };
    delete env.ADMIN_TOKEN;
    const r = await run('docker-compose', ['-f', COMPOSE, 'config', '-q'], { cwd: REPO_ROOT, env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ADMIN_TOKEN/);
    const raw = readFileSync(COMPOSE, 'utf8');
    expect(raw).toMatch(/ADMIN_TOKEN: \$\{ADMIN_TOKEN:\?/);
  });

  it('has the expected services', async () => {
    const c = await resolved();
    expect(Object.keys(c.services).sort()).toEqual(
      [
        'redis-1',
        'redis-2',
        'redis-3',
        'redis-4',
        'redis-5',
        'redis-6',
        'redis-cluster-init',
        'postgres',
        'api-1',
        'api-2',
        'proxy',
        'redis-exporter',
        'prometheus',
        'alertmanager',
        'grafana',
        'tempo-init',
        'tempo',
        'load',
      ].sort(),
    );
    expect(c.services.load?.profiles).toEqual(['load']);
    expect(
      JSON.stringify(c.services['redis-cluster-init']?.command ?? '') +
        readFileSync(join(REPO_ROOT, 'deploy', 'redis-cluster-init.sh'), 'utf8'),
    ).toMatch(/--cluster create .*--cluster-replicas 1 --cluster-yes/);
  });

  it('pins every pulled image to a version tag', async () => {
    const c = await resolved();
    for (const [name, s] of Object.entries(c.services)) {
      if (s.build !== undefined) continue; // built from ./Dockerfile (its FROM is checked below)
      expect(s.image, `${name} has no image`).toBeDefined();
      const tag = tagOf(s.image ?? '');
      expect(tag, `${name}: ${s.image ?? ''}`).toBeDefined();
      expect(tag, `${name}: ${s.image ?? ''}`).not.toMatch(/latest/);
      expect(tag, `${name}: ${s.image ?? ''}`).toMatch(PINNED);
    }
  });

  it('builds the API in stages on a maintained Node LTS pinned by exact version, runs it compiled, non-root, behind tini', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gm)].map((m) => ({
      image: m[1] ?? '',
      stage: m[2] ?? '',
    }));
    const bases = froms.filter((f) => f.image.startsWith('node:'));
    expect(bases.length).toBeGreaterThan(0);
    // Node 22 and 24 are the maintained LTS lines (20 reached end of life on 2026-04-30).
    for (const f of bases) expect(f.image).toMatch(/^node:(22|24)\.\d+\.\d+-bookworm-slim$/);
    expect(new Set(bases.map((f) => f.image)).size).toBe(1);
    const stages = froms.map((f) => f.stage);
    expect(stages).toEqual(expect.arrayContaining(['deps', 'build', 'prod-deps', 'load', 'runtime']));
    expect(stages.at(-1)).toBe('runtime');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(dockerfile).toMatch(/python3 make g\+\+/);
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(runtime).toMatch(/COPY --from=prod-deps \/app\/node_modules/);
    expect(runtime).not.toMatch(/g\+\+|npm ci|npm install/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/);
    expect(runtime).toMatch(/CMD \["node", .*"dist\/main\.js"\]/);
    expect(runtime).not.toMatch(/npm start|tsx/);
    expect(runtime).toMatch(/HEALTHCHECK [\s\S]*fetch\('http:\/\/127\.0\.0\.1:.*\/readyz'\)/);
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['node_modules', '.data', '.git', '.env', '.env.*', '*.pem', '*.key', '.npmrc', '*.db'])
      expect(ignore).toContain(p);
  });

  it('publishes UIs and the API on 127.0.0.1 only; Prometheus without lifecycle or admin API', async () => {
    const c = await resolved();
    let published = 0;
    for (const [name, s] of Object.entries(c.services) as Array<[string, Service & { ports?: unknown[] }]>) {
      for (const p of s.ports ?? []) {
        published++;
        const hostIp = typeof p === 'string' ? p.split(':')[0] : (p as { host_ip?: string }).host_ip;
        expect(hostIp, `${name}: ${JSON.stringify(p)}`).toBe('127.0.0.1');
      }
      if (name.startsWith('redis-') || name === 'postgres') expect(s.ports, `${name} publishes a port`).toBeUndefined();
    }
    expect(published).toBeGreaterThanOrEqual(5);
    const prometheus = JSON.stringify(c.services.prometheus?.command);
    expect(prometheus).not.toContain('enable-lifecycle');
    expect(prometheus).not.toContain('enable-admin-api');
  });

  it('protects the Redis Cluster with REDIS_PASSWORD and gives it to the API, the exporter and the cluster init', async () => {
    const env: NodeJS.ProcessEnv = { ...ENV };
    delete env.REDIS_PASSWORD;
    const r = await run('docker-compose', ['-f', COMPOSE, 'config', '-q'], { cwd: REPO_ROOT, env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/REDIS_PASSWORD/);
    const c = await resolved();
    const envOf = (name: string) => (c.services[name]?.environment ?? {}) as Record<string, string>;
    for (const n of [1, 2, 3, 4, 5, 6]) {
      expect(envOf(`redis-${n}`).REDIS_PASSWORD).toBe(ENV.REDIS_PASSWORD);
      expect(JSON.stringify(c.services[`redis-${n}`]?.command)).toContain('requirepass');
    }
    for (const name of ['api-1', 'api-2', 'redis-exporter'])
      expect(envOf(name).REDIS_PASSWORD, name).toBe(ENV.REDIS_PASSWORD);
    expect(envOf('redis-cluster-init').REDISCLI_AUTH).toBe(ENV.REDIS_PASSWORD);
    expect(readFileSync(COMPOSE, 'utf8')).not.toContain(ENV.REDIS_PASSWORD);
  });

  it('runs the load generator from its own image stage, not the API image', async () => {
    const c = await resolved();
    const load = c.services.load?.build;
    const api = c.services['api-1']?.build;
    expect(typeof load === 'object' ? (load as { target?: string }).target : undefined).toBe('load');
    expect(typeof api === 'object' ? (api as { target?: string }).target : undefined).toBe('runtime');
    expect(c.services.load?.image).not.toBe(c.services['api-1']?.image);
  });

  it('bind-mounts only local paths that exist', async () => {
    const c = await resolved();
    let binds = 0;
    for (const [name, s] of Object.entries(c.services)) {
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? (v.split(':')[0] ?? '') : v.type === 'bind' ? (v.source ?? '') : '';
        if (!isAbsolute(source)) continue; // named volume
        binds++;
        expect(existsSync(source), `${name}: ${source}`).toBe(true);
      }
      if (s.build !== undefined) {
        const b = typeof s.build === 'string' ? { context: s.build } : s.build;
        expect(existsSync(join(b.context ?? REPO_ROOT, b.dockerfile ?? 'Dockerfile')), `${name}: Dockerfile`).toBe(
          true,
        );
      }
    }
    expect(binds).toBeGreaterThanOrEqual(8);
  });

  it('wires the API replicas to the Redis cluster, the shared PostgreSQL and Tempo', async () => {
    const c = await resolved();
    for (const name of ['api-1', 'api-2']) {
      const s = c.services[name];
      const env = (s?.environment ?? {}) as Record<string, string>;
      expect(env.PORT, name).toBe('3000');
      expect(env.HOST, name).toBe('0.0.0.0');
      expect(env.DATABASE_URL, name).toBe('postgres://shop@postgres:5432/shop');
      // no SQLite file: the image's default DATABASE_PATH is not what runs, and no volume holds one
      expect(env.DATABASE_PATH, name).toBeUndefined();
      expect(JSON.stringify(s?.volumes ?? []), name).not.toContain('/data');
      expect(env.REDIS_CLUSTER_NODES, name).toBe([1, 2, 3, 4, 5, 6].map((n) => `redis-${n}:6379`).join(','));
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe('http://tempo:4318');
      expect(env.OTEL_SERVICE_NAME, name).toBe('flower-shop-api');
      expect(env.ADMIN_TOKEN, name).toBe(ENV.ADMIN_TOKEN);
    }
    expect(JSON.stringify(c.services.prometheus?.command)).toContain('--enable-feature=exemplar-storage');
  });

  it('runs PostgreSQL pinned, unpublished, on a named volume, healthy only once it accepts TCP connections', async () => {
    const c = await resolved();
    const pg = c.services.postgres;
    expect(pg?.image).toMatch(/^postgres:\d+\.\d+-bookworm$/);
    const volumes = (pg?.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    expect(volumes.some((v) => v.startsWith('postgres-data:/var/lib/postgresql/data'))).toBe(true);
    expect(Object.keys(c.volumes ?? {})).toContain('postgres-data');
    // The image's first-start initialisation runs a socket-only server; a TCP check does not pass on it.
    expect(pg?.healthcheck?.test).toEqual(['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', 'shop', '-d', 'shop']);
    const env = (pg?.environment ?? {}) as Record<string, string>;
    expect(env.POSTGRES_USER).toBe('shop');
    expect(env.POSTGRES_DB).toBe('shop');
    expect(env.POSTGRES_INITDB_ARGS).toContain('--auth-host=scram-sha-256');
    // Every replica starts only once it is healthy.
    for (const name of ['api-1', 'api-2']) {
      const deps = c.services[name]?.depends_on as Record<string, { condition?: string }> | undefined;
      expect(deps?.postgres?.condition, name).toBe('service_healthy');
    }
  });

  it('takes the PostgreSQL password from POSTGRES_PASSWORD only: not in the file, the URL or the image', async () => {
    const env: NodeJS.ProcessEnv = { ...ENV };
    delete env.POSTGRES_PASSWORD;
    const r = await run('docker-compose', ['-f', COMPOSE, 'config', '-q'], { cwd: REPO_ROOT, env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/POSTGRES_PASSWORD/);
    const c = await resolved();
    const envOf = (name: string) => (c.services[name]?.environment ?? {}) as Record<string, string>;
    expect(envOf('postgres').POSTGRES_PASSWORD).toBe(ENV.POSTGRES_PASSWORD);
    for (const name of ['api-1', 'api-2']) {
      // The URL may be logged, so the password travels apart, as the driver's PGPASSWORD.
      expect(envOf(name).PGPASSWORD, name).toBe(ENV.POSTGRES_PASSWORD);
      const url = new URL(envOf(name).DATABASE_URL ?? '');
      expect(url.password, name).toBe('');
      // The replicas log in as the user the image creates, to the database it creates.
      expect(url.username, name).toBe(envOf('postgres').POSTGRES_USER);
      expect(url.pathname, name).toBe(`/${envOf('postgres').POSTGRES_DB}`);
      expect(`${url.hostname}:${url.port}`, name).toBe('postgres:5432');
    }
    expect(readFileSync(COMPOSE, 'utf8')).not.toContain(ENV.POSTGRES_PASSWORD);
    expect(readFileSync(COMPOSE, 'utf8')).toMatch(/POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:\?/);
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).not.toMatch(/DATABASE_URL|PGPASSWORD|POSTGRES_PASSWORD/);
  });
});

// No Docker engine here: the replicas' database settings, as docker-compose resolves them, run the
// real service against a real PostgreSQL that demands that password (scram-sha-256, as the image
// sets up with POSTGRES_INITDB_ARGS); only the host name `postgres` becomes the test server's address.
describe("the API replicas' database settings against a real PostgreSQL", () => {
  let postgres: PostgresServer | undefined;
  afterAll(async () => {
    await postgres?.remove();
  });

  it('connect with the password from PGPASSWORD beside a URL without it, and not with a wrong one', async () => {
    postgres = await startPostgres();
    const password = decodeURIComponent(new URL(postgres.adminUrl).password);
    await postgres.createDatabase('shop');
    const c = await resolved({ POSTGRES_PASSWORD: password });
    const apiEnv = (c.services['api-1']?.environment ?? {}) as Record<string, string>;
    const url = new URL(apiEnv.DATABASE_URL ?? '');
    expect(url.hostname).toBe('postgres');
    url.hostname = '127.0.0.1';
    url.port = String(postgres.port);

    const api = await startApiProcess({
      redis: false,
      env: { DATABASE_URL: url.toString(), PGPASSWORD: apiEnv.PGPASSWORD ?? '' },
      readyTimeoutMs: 90_000,
    });
    try {
      const ready = (await (await fetch(`${api.url}/readyz`)).json()) as {
        checks?: Record<string, { status: string }>;
      };
      expect(ready.checks?.postgresql?.status).toBe('up');
      const product = await fetch(`${api.url}/api/products/1`);
      expect(product.status).toBe(200);
    } finally {
      await api.stop();
    }
    // After the stop, which flushes the log stream: every line the process wrote is read.
    expect(api.stdout() + api.stderr()).not.toContain(password);

    const wrong = 'not-the-postgres-password';
    const refused = await startApiProcess({
      redis: false,
      env: { DATABASE_URL: url.toString(), PGPASSWORD: wrong },
      readyTimeoutMs: 60_000,
    }).then(
      async (p) => {
        await p.stop();
        return 'ready';
      },
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(refused).toMatch(/password authentication failed/);
    expect(refused).not.toContain(wrong);
  }, 240_000);
});
