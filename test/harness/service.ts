import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { createService, type Service, type ServiceOptions } from '../../src/service.ts';
import { sharedClusterSeeds } from './redis.ts';

/** A token long enough for the config rules; tests only. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };

/** A cache namespace of its own per test group, so test files sharing one cluster never see each other's keys. */
export function testNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** A fresh SQLite file in a temp folder (WAL needs a real file to be shared by two instances). */
export function tempDatabase(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'flower-shop-test-'));
  return { path: join(dir, 'shop.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestServiceOptions {
  /** Shared by instances that should see each other's invalidations. */
  namespace?: string;
  /** Shared by instances that should share a store; a fresh one otherwise. */
  databasePath?: string;
  /** Seeds of the cluster to use; the shared test cluster by default, `false` for none. */
  redis?: string | false;
  env?: Record<string, string>;
  metrics?: boolean;
  tracing?: boolean;
  seedOrders?: number;
  /** A logger of the test's own (to read what the service logs); a silent one by default. */
  logger?: Logger;
  listen?: boolean;
  /** Wait until Redis is connected and the bus heartbeat is back (default when Redis is configured). */
  waitReady?: boolean;
  extraRoutes?: ServiceOptions['extraRoutes'];
}

export interface TestService {
  readonly service: Service;
  readonly namespace: string;
  readonly databasePath: string;
  /** `{ DATABASE_URL }` when on PostgreSQL, `{}` on SQLite: what a second instance needs to share this store. */
  readonly storeEnv: Record<string, string>;
  /** Base URL when started with listen: true. */
  readonly url: string;
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Starts one API instance against the real parts: a SQLite file, the Redis Cluster, real HTTP when asked. */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const namespace = options.namespace ?? testNamespace();
  const db = options.databasePath ? undefined : tempDatabase();
  const databasePath = options.databasePath ?? db!.path;
  const redis = options.redis === undefined ? sharedClusterSeeds() : options.redis;
  const config = loadConfig({
    DATABASE_PATH: databasePath,
    SEED_PRODUCTS: '300',
    LOG_LEVEL: 'silent',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    CACHE_NAMESPACE: namespace,
    CACHE_BUS_HEARTBEAT_MS: '250',
    CACHE_L2_BREAKER_OPEN_MS: '200',
    ...(redis ? { REDIS_CLUSTER_NODES: redis } : {}),
    ...options.env,
  });
  const service = await createService({
    config,
    logger: options.logger ?? createLogger(config.LOG_LEVEL),
    metrics: options.metrics ?? true,
    tracing: options.tracing ?? false,
    seedOrders: options.seedOrders ?? 200,
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
  });
  if (redis && options.waitReady !== false)
    await waitFor(
      () => service.readiness().status === 'ready',
      15_000,
      'cache to be ready (Redis connected, bus heartbeat back)',
    );

  let server: ServerType | undefined;
  let url = '';
  if (options.listen) {
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: service.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  return {
    service,
    namespace,
    databasePath,
    storeEnv: config.DATABASE_URL ? { DATABASE_URL: config.DATABASE_URL } : {},
    url,
    request: (path, init) => (url ? fetch(url + path, init) : Promise.resolve(service.app.request(path, init))),
    async close() {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await service.close();
      db?.remove();
    },
  };
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
