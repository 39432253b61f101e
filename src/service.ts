import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { createCache } from './cache/create-cache.ts';
import { PrefixRegistry } from './cache/prefix-registry.ts';
import type { RedisConnectionOptions } from './cache/redis-client.ts';
import type { TwoTierCache } from './cache/two-tier-cache.ts';
import { type CacheObserver, composeObserver, noopObserver } from './cache/types.ts';
import type { Config } from './config/config.ts';
import { CacheConsole } from './console/cache-console.ts';
import { ClusterViewer } from './console/cluster-view.ts';
import { FleetHistory } from './console/fleet-history.ts';
import { PrometheusClient } from './console/prometheus-client.ts';
import { createHttpApp } from './http/app.ts';
import type { ShopApp } from './http/app-env.ts';
import type { DependencyState, Readiness } from './http/routes/ops-routes.ts';
import { CacheMetrics } from './observability/cache-metrics.ts';
import { CacheTracing } from './observability/cache-tracing.ts';
import { DatabaseMetrics } from './observability/database-metrics.ts';
import { HttpMetrics } from './observability/http-metrics.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { MetricsRegistry } from './observability/metrics-registry.ts';
import { shopCachePolicies } from './shop/cache-policies.ts';
import { CatalogService } from './shop/catalog-service.ts';
import { type OpenedStore, openStore } from './shop/open-store.ts';
import { OrderService } from './shop/order-service.ts';

export interface ServiceOptions {
  config: Config;
  logger?: Logger;
  /** Metrics collection; off only to measure what it costs. */
  metrics?: boolean;
  /** Whether the OpenTelemetry SDK is running (spans are made only then). */
  tracing?: boolean;
  instanceId?: string;
  /** Orders to seed along with the products (best sellers need some). */
  seedOrders?: number;
  extraRoutes?: (app: ShopApp) => void;
  /** Credentials, TLS and NAT map for the Redis Cluster (read from files by the caller). */
  redisConnection?: RedisConnectionOptions;
}

/** Everything one API instance is made of, wired in dependency order: store, cache, shop, HTTP. */
export interface Service {
  readonly app: ShopApp;
  /** The source of truth: SQLite or PostgreSQL (DATABASE_URL). */
  readonly store: OpenedStore;
  readonly cache: TwoTierCache;
  readonly catalog: CatalogService;
  readonly metrics: MetricsRegistry | undefined;
  /** The live console's history and hot keys (undefined when CONSOLE_ENABLED=false or metrics are off). */
  readonly console: CacheConsole | undefined;
  readonly redis: Cluster | undefined;
  readonly instanceId: string;
  readiness(): Readiness;
  /** Stop reporting ready, so a load balancer drains this instance before it stops. */
  drain(): void;
  close(): Promise<void>;
}

export async function createService(options: ServiceOptions): Promise<Service> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const instanceId = options.instanceId ?? randomUUID();
  const metricsRegistry = options.metrics === false ? undefined : new MetricsRegistry({ defaultMetrics: true });
  const tracing = options.tracing ?? false;
  const backend = config.DATABASE_URL !== undefined ? 'postgresql' : 'sqlite';
  const databaseMetrics = new DatabaseMetrics(metricsRegistry?.registry, backend, { tracing });
  const { store, seeded } = await openStore({
    databaseUrl: config.DATABASE_URL,
    sqlitePath: config.DATABASE_PATH,
    sqliteBusyTimeoutMs: config.DATABASE_BUSY_TIMEOUT_MS,
    pool: {
      max: config.DATABASE_POOL_MAX,
      maxWaiting: config.DATABASE_POOL_MAX_WAITING,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      idleTimeoutMs: config.DATABASE_POOL_IDLE_TIMEOUT_MS,
    },
    seed: { products: config.SEED_PRODUCTS, orders: options.seedOrders ?? Math.ceil(config.SEED_PRODUCTS * 0.6) },
    observer: databaseMetrics,
  });
  if (seeded) logger.info({ products: config.SEED_PRODUCTS, backend }, 'seeded an empty catalogue');
  databaseMetrics.attachPool(store.backend, () => store.poolStats());

  const policies = shopCachePolicies(config.CACHE_TTL_SCALE).map((p) =>
    config.CACHE_L1_ENABLED ? p : { ...p, l1: false },
  );
  const registry = new PrefixRegistry(policies);
  const cacheMetrics = metricsRegistry ? new CacheMetrics(metricsRegistry.registry, registry.labels()) : undefined;
  const counting: CacheObserver = cacheMetrics ?? noopObserver;
  // The whole fleet, when a Prometheus scrapes it: the console runs the dashboards' queries there.
  const fleet =
    config.CONSOLE_ENABLED && config.PROMETHEUS_URL
      ? new FleetHistory({
          prometheus: new PrometheusClient(config.PROMETHEUS_URL, config.PROMETHEUS_TIMEOUT_MS),
          job: config.PROMETHEUS_JOB,
        })
      : undefined;
  // The console reads its history from the metrics registry, so it exists only alongside it.
  const cacheConsole =
    metricsRegistry && config.CONSOLE_ENABLED
      ? new CacheConsole({
          registry: metricsRegistry.registry,
          prefixes: registry.labels(),
          l1Bounds: { maxEntries: config.CACHE_L1_MAX_ENTRIES, maxBytes: config.CACHE_L1_MAX_BYTES },
          ...(fleet ? { fleet: { job: config.PROMETHEUS_JOB, rateWindow: fleet.rateWindow } } : {}),
        })
      : undefined;
  const observer =
    tracing || cacheConsole
      ? composeObserver(counting, {
          ...(tracing ? { tracing: new CacheTracing() } : {}),
          ...(cacheConsole ? { keys: cacheConsole.hotKeys } : {}),
        })
      : counting;

  const runtime = createCache({
    registry,
    observer,
    log: {
      info: (message, detail) => logger.info(detail ?? {}, message),
      warn: (message, detail) => logger.warn(detail ?? {}, message),
      debug: (message, detail) => logger.debug(detail ?? {}, message),
    },
    l1: {
      maxEntries: config.CACHE_L1_MAX_ENTRIES,
      maxBytes: config.CACHE_L1_MAX_BYTES,
      admission: config.CACHE_L1_ADMISSION,
      prefixBudgets: config.CACHE_L1_PREFIX_BUDGETS,
    },
    ...(config.REDIS_CLUSTER_NODES && config.REDIS_CLUSTER_NODES.length > 0
      ? {
          redis: {
            seeds: config.REDIS_CLUSTER_NODES,
            namespace: config.CACHE_NAMESPACE,
            timeoutMs: config.CACHE_L2_TIMEOUT_MS,
            breakerFailures: config.CACHE_L2_BREAKER_FAILURES,
            breakerOpenMs: config.CACHE_L2_BREAKER_OPEN_MS,
            heartbeatMs: config.CACHE_BUS_HEARTBEAT_MS,
            keyspaceEvents: config.CACHE_L2_KEYSPACE_EVENTS,
            ...(options.redisConnection ? { connection: options.redisConnection } : {}),
          },
        }
      : {}),
    lockTtlMs: config.CACHE_LOCK_TTL_MS,
    lockWaitMs: config.CACHE_LOCK_WAIT_MS,
    instanceId,
  });
  const { cache, l1, l2, bus, redis } = runtime;
  cacheMetrics?.attachL1(l1);

  const catalog = new CatalogService(store.catalog, cache);
  const orders = new OrderService(store.orders, catalog);
  let draining = false;

  const readiness = (): Readiness => {
    const checks: Record<string, DependencyState> = {};
    // Named after the backend (`sqlite` or `postgresql`); down means no uncached read can be answered.
    const database: DependencyState = { ...store.health() };
    checks[store.backend] = database;
    if (l2) {
      const s = l2.status();
      const busStatus = bus?.status();
      const healthy = s.circuit === 'closed' && s.clusterStatus === 'ready' && (busStatus?.healthy ?? true);
      checks.redis = {
        status: healthy ? 'up' : 'degraded',
        ...s,
        bus: busStatus,
        pendingInvalidations: cache.pendingInvalidations,
      };
    } else {
      checks.redis = { status: 'disabled', detail: 'no Redis Cluster configured: L1 only' };
    }
    const status =
      draining || database.status !== 'up' ? 'unavailable' : checks.redis.status === 'degraded' ? 'degraded' : 'ready';
    return { status, checks: draining ? { ...checks, shutdown: { status: 'down', detail: 'draining' } } : checks };
  };

  const app = createHttpApp({
    catalog,
    orders,
    cache,
    registry,
    logger,
    readiness,
    adminToken: config.ADMIN_TOKEN,
    maxBodyBytes: config.MAX_BODY_BYTES,
    corsOrigins: config.CORS_ORIGINS,
    tracing,
    metrics:
      metricsRegistry && cacheMetrics
        ? {
            registry: metricsRegistry,
            http: new HttpMetrics(metricsRegistry.registry),
            cache: cacheMetrics,
            servedOnApiPort: config.METRICS_PORT === 0,
            token: config.METRICS_TOKEN,
          }
        : undefined,
    console: cacheConsole
      ? { console: cacheConsole, cluster: redis ? new ClusterViewer(redis) : undefined, fleet }
      : undefined,
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
  });
  cacheConsole?.start();

  return {
    app,
    store,
    cache,
    catalog,
    metrics: metricsRegistry,
    console: cacheConsole,
    redis,
    instanceId,
    readiness,
    drain() {
      draining = true;
      // Live console streams never end by themselves: they would hold shutdown for the whole grace period.
      cacheConsole?.streams.closeAll();
    },
    async close() {
      draining = true;
      cacheConsole?.stop();
      await runtime.close();
      await store.close();
    },
  };
}
