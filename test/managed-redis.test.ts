import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT_CODES } from '../src/config/startup-error.ts';
import { type ApiProcess, freePort, readyz, SERVICE_ARGS, startApiProcess } from './harness/api-process.ts';
import { type RedisClusterHandle, startPrivateCluster } from './harness/redis.ts';
import { tempDatabase } from './harness/service.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const ADMIN_PASSWORD = 'default-user-secret-7f3a9c';
const SHOP_USER = 'shop';
const SHOP_PASSWORD = 'acl-user-secret-41be02d8';
let dir: string;
let auth: RedisClusterHandle;
let tls: RedisClusterHandle;
let caFile: string;

/** A CA and a server certificate for 127.0.0.1, made with openssl for this run. */
function makeCertificates(into: string): { certFile: string; keyFile: string; caFile: string } {
  const f = (name: string) => join(into, name);
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  );
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    f('san.ext'),
    '-out',
    f('server.pem'),
  );
  return { certFile: f('server.pem'), keyFile: f('server.key'), caFile: f('ca.pem') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'managed-redis-'));
  const certs = makeCertificates(dir);
  caFile = certs.caFile;
  const users = [{ name: SHOP_USER, password: SHOP_PASSWORD }];
  [auth, tls] = await Promise.all([
    startPrivateCluster({ security: { password: ADMIN_PASSWORD, users } }),
    startPrivateCluster({ security: { password: ADMIN_PASSWORD, users, tls: certs } }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([auth?.stop(), tls?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const seedsOf = (cluster: RedisClusterHandle) => cluster.seedString;

function expectNoSecret(text: string): void {
  for (const secret of [ADMIN_PASSWORD, SHOP_PASSWORD, 'wrong-password-c0ffee']) expect(text).not.toContain(secret);
}

/** Starts the service, checks the cache really uses L2 (a GET stored there), stops it; never echoes a secret. */
async function expectServesFromL2(api: ApiProcess): Promise<void> {
  try {
    const ready = await readyz(api.url);
    expect(ready.checks['redis']?.status, JSON.stringify(ready.checks['redis'])).toBe('up');
    const res = await fetch(`${api.url}/api/products/3`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-status')).toMatch(/shop-l2; fwd=miss; stored/);
  } finally {
    await api.stop();
  }
  expectNoSecret(api.stdout() + api.stderr());
}

async function startExpectingExit(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const db = tempDatabase();
  const child = spawn(process.execPath, SERVICE_ARGS, {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: String(await freePort()),
      DATABASE_PATH: db.path,
      SEED_PRODUCTS: '50',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(killer);
  db.remove();
  return { code, stderr, stdout };
}

describe('a cluster with requirepass and an ACL user', () => {
  test('REDIS_USERNAME and REDIS_PASSWORD (ACL user)', async () => {
    await expectServesFromL2(
      await startApiProcess({
        redis: seedsOf(auth),
        env: { REDIS_USERNAME: SHOP_USER, REDIS_PASSWORD: SHOP_PASSWORD, LOG_LEVEL: 'debug' },
      }),
    );
  });

  test('REDIS_PASSWORD_FILE (default user)', async () => {
    const file = join(dir, 'redis-password');
    writeFileSync(file, `${ADMIN_PASSWORD}\n`);
    await expectServesFromL2(
      await startApiProcess({ redis: seedsOf(auth), env: { REDIS_PASSWORD_FILE: file, LOG_LEVEL: 'debug' } }),
    );
  });

  test('credentials in redis:// URLs', async () => {
    const urls = auth.seeds
      .map((s) => `redis://${SHOP_USER}:${encodeURIComponent(SHOP_PASSWORD)}@${s.host}:${s.port}`)
      .join(',');
    await expectServesFromL2(await startApiProcess({ redis: urls, env: { LOG_LEVEL: 'debug' } }));
  });

  test('a wrong password: exit 5 naming the variables, the password never echoed', async () => {
    const result = await startExpectingExit({
      REDIS_CLUSTER_NODES: seedsOf(auth),
      REDIS_USERNAME: SHOP_USER,
      REDIS_PASSWORD: 'wrong-password-c0ffee',
    });
    expect(result.code).toBe(EXIT_CODES.redis);
    expect(result.stderr).toContain('REDIS_USERNAME/REDIS_PASSWORD');
    expect(result.stderr).toContain('WRONGPASS');
    expectNoSecret(result.stderr + result.stdout);
  });

  test('no password: exit 5 saying one is required', async () => {
    const result = await startExpectingExit({ REDIS_CLUSTER_NODES: seedsOf(auth) });
    expect(result.code).toBe(EXIT_CODES.redis);
    expect(result.stderr).toContain('NOAUTH');
    expect(result.stderr).toContain('REDIS_PASSWORD');
  });

  test('a malformed redis:// entry is refused without echoing it', async () => {
    const result = await startExpectingExit({
      REDIS_CLUSTER_NODES: `redis://:wrong-password-c0ffee@127.0.0.1:notaport`,
    });
    expect(result.code).toBe(EXIT_CODES.config);
    expect(result.stderr).toContain('REDIS_CLUSTER_NODES: entry 1');
    expectNoSecret(result.stderr);
  });
});

describe('a TLS cluster (certificates made by this test)', () => {
  test('REDIS_TLS=true with REDIS_TLS_CA_FILE', async () => {
    await expectServesFromL2(
      await startApiProcess({
        redis: seedsOf(tls),
        env: { REDIS_TLS: 'true', REDIS_TLS_CA_FILE: caFile, REDIS_PASSWORD: ADMIN_PASSWORD, LOG_LEVEL: 'debug' },
      }),
    );
  });

  test('rediss:// URLs with an ACL user', async () => {
    const urls = tls.seeds.map((s) => `rediss://${SHOP_USER}:${SHOP_PASSWORD}@${s.host}:${s.port}`).join(',');
    await expectServesFromL2(
      await startApiProcess({ redis: urls, env: { REDIS_TLS_CA_FILE: caFile, LOG_LEVEL: 'debug' } }),
    );
  });

  test('an unreadable CA file: exit 2 naming REDIS_TLS_CA_FILE', async () => {
    const result = await startExpectingExit({
      REDIS_CLUSTER_NODES: seedsOf(tls),
      REDIS_TLS: 'true',
      REDIS_TLS_CA_FILE: join(dir, 'missing.pem'),
    });
    expect(result.code).toBe(EXIT_CODES.config);
    expect(result.stderr).toContain('REDIS_TLS_CA_FILE');
  });
});
