import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.ts';
import { SERVICE_ARGS } from './harness/api-process.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('configuration', () => {
  it('runs on one machine with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      DATABASE_PATH: '.data/shop.db',
      LOG_LEVEL: 'info',
      REDIS_MODE: 'auto',
      SEED_PRODUCTS: 5_000,
      CACHE_NAMESPACE: 'shop',
      CACHE_L1_ENABLED: true,
      CACHE_TTL_SCALE: 1,
      METRICS_PORT: 0,
      MAX_BODY_BYTES: 64 * 1024,
      SHUTDOWN_GRACE_MS: 10_000,
    });
    expect(config.ADMIN_TOKEN).toBeUndefined();
    expect(config.REDIS_CLUSTER_NODES).toBeUndefined();
    expect(config.METRICS_TOKEN).toBeUndefined();
  });

  it('treats an empty value as unset, so compose files can blank a variable', () => {
    const config = loadConfig({ ADMIN_TOKEN: '', PORT: '', REDIS_CLUSTER_NODES: '' });
    expect(config.ADMIN_TOKEN).toBeUndefined();
    expect(config.PORT).toBe(3000);
    expect(config.REDIS_CLUSTER_NODES).toBeUndefined();
  });

  it('parses numbers, booleans and the cluster seed list', () => {
    const config = loadConfig({
      PORT: '8080',
      CACHE_L1_ENABLED: 'no',
      CACHE_TTL_SCALE: '0.5',
      REDIS_CLUSTER_NODES: 'redis-a:7000, 10.0.0.2:7001,,localhost:7002',
      ADMIN_TOKEN: 'a-token-of-at-least-24-chars',
    });
    expect(config.PORT).toBe(8080);
    expect(config.CACHE_L1_ENABLED).toBe(false);
    expect(config.CACHE_TTL_SCALE).toBe(0.5);
    expect(config.REDIS_CLUSTER_NODES).toEqual([
      { host: 'redis-a', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: 'localhost', port: 7002 },
    ]);
    expect(config.ADMIN_TOKEN).toBe('a-token-of-at-least-24-chars');
  });

  it('lists every bad value in one error, and never echoes the admin token', () => {
    const secret = 'hunter2-secret';
    const problems = problemsOf({
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      ADMIN_TOKEN: secret,
      REDIS_CLUSTER_NODES: 'nonsense',
      SEED_PRODUCTS: '-1',
    });
    const named = problems.map((p) => p.slice(0, p.indexOf(':')));
    expect(named.sort()).toEqual(['ADMIN_TOKEN', 'LOG_LEVEL', 'PORT', 'REDIS_CLUSTER_NODES', 'SEED_PRODUCTS']);
    expect(problems.find((p) => p.startsWith('ADMIN_TOKEN'))).toMatch(/24 characters/);
    expect(problems.find((p) => p.startsWith('REDIS_CLUSTER_NODES'))).toMatch(/host:port/);

    let message = '';
    try {
      loadConfig({ PORT: 'abc', ADMIN_TOKEN: secret });
    } catch (error) {
      message = `${String(error)} ${(error as Error).stack ?? ''} ${JSON.stringify(error)}`;
    }
    expect(message).toMatch(/PORT/);
    expect(message).not.toContain(secret);
  });

  it.each([
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '80.5' }, 'PORT'],
    [{ CACHE_L1_ENABLED: 'maybe' }, 'CACHE_L1_ENABLED'],
    [{ CACHE_NAMESPACE: 'Has Spaces' }, 'CACHE_NAMESPACE'],
    [{ CACHE_TTL_SCALE: '0' }, 'CACHE_TTL_SCALE'],
    [{ MAX_BODY_BYTES: '10' }, 'MAX_BODY_BYTES'],
    [{ REDIS_CLUSTER_NODES: 'host:99999' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_MODE: 'cluster' }, 'REDIS_MODE'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
  ])('refuses %j', (env, name) => {
    expect(problemsOf(env).map((p) => p.split(':')[0])).toEqual([name]);
  });

  it('the service refuses to start on bad configuration: exit code 2 with the problems on stderr', async () => {
    const secret = 'too-short-but-secret';
    const child = spawn(process.execPath, SERVICE_ARGS, {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', PORT: 'abc', LOG_LEVEL: 'loud', ADMIN_TOKEN: secret, REDIS_MODE: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/invalid configuration/);
    expect(stderr).toMatch(/PORT/);
    expect(stderr).toMatch(/LOG_LEVEL/);
    expect(stderr).toMatch(/ADMIN_TOKEN/);
    expect(stderr + stdout).not.toContain(secret);
    expect(stdout).not.toMatch(/listening/);
  });
});
