/**
 * docker-compose.yml: parses with the installed docker-compose (1.29; there is
 * no Docker engine here, so `config` is as far as it goes), pins every image,
 * references only files that exist, and keeps secrets out of the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './helpers/dashboard-queries.ts';
import { run } from './helpers/promtool.ts';

const COMPOSE = join(REPO_ROOT, 'docker-compose.yml');
const ENV = {
  ...process.env,
  ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
  METRICS_TOKEN: 'test-metrics-token-0123456789',
  GRAFANA_ADMIN_PASSWORD: 'test-grafana-password',
};

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  environment?: Record<string, string | null> | string[];
  profiles?: string[];
  command?: string | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** The compose file as docker-compose resolves it (anchors merged, variables interpolated). */
async function resolved(): Promise<ComposeFile> {
  const r = await run('docker-compose', ['-f', COMPOSE, '--profile', 'load', 'config'], { cwd: REPO_ROOT, env: ENV });
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

  it('builds the API from a pinned node:20 bookworm-slim image', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1] ?? '');
    expect(froms.length).toBeGreaterThan(0);
    for (const f of froms) expect(f).toMatch(/^node:20(\.\d+){0,2}-bookworm-slim$/);
    expect(dockerfile).toMatch(/python3 make g\+\+/);
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/CMD \["npm", "start"\]/);
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['node_modules', '.data', '.git']) expect(ignore).toContain(p);
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

  it('wires the API replicas to the Redis cluster, the shared database volume and Tempo', async () => {
    const c = await resolved();
    for (const name of ['api-1', 'api-2']) {
      const s = c.services[name];
      const env = (s?.environment ?? {}) as Record<string, string>;
      expect(env.PORT, name).toBe('3000');
      expect(env.HOST, name).toBe('0.0.0.0');
      expect(env.DATABASE_PATH, name).toBe('/data/shop.db');
      expect(env.REDIS_CLUSTER_NODES, name).toBe([1, 2, 3, 4, 5, 6].map((n) => `redis-${n}:6379`).join(','));
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe('http://tempo:4318');
      expect(env.OTEL_SERVICE_NAME, name).toBe('flower-shop-api');
      expect(env.ADMIN_TOKEN, name).toBe(ENV.ADMIN_TOKEN);
      expect(JSON.stringify(s?.volumes), name).toContain('shop-data');
    }
    expect(JSON.stringify(c.services.prometheus?.command)).toContain('--enable-feature=exemplar-storage');
  });
});
