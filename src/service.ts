import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import type { Config } from './config/config.ts';
import { InvalidationBus } from './cache/invalidation-bus.ts';
import { L1MemoryTier } from './cache/l1-memory-tier.ts';
import { L2EvictionListener } from './cache/l2-eviction-listener.ts';
import { L2RedisTier } from './cache/l2-redis-tier.ts';
import { PrefixRegistry } from './cache/prefix-registry.ts';
import { createRedisCluster } from './cache/redis-client.ts';
import { TwoTierCache } from './cache/two-tier-cache.ts';
import { composeObserver, noopObserver, type CacheObserver } from './cache/types.ts';
import { createHttpApp } from './http/app.ts';
import type { ShopApp } from './http/app-env.ts';
import type { DependencyState, Readiness } from './http/routes/ops-routes.ts';
import { CacheMetrics } from './observability/cache-metrics.ts';
import { CacheTracing } from './observability/cache-tracing.ts';
import { HttpMetrics } from './observability/http-metrics.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { MetricsRegistry } from './observability/metrics-registry.ts';
import { shopCachePolicies } from './shop/cache-policies.ts';
import { CatalogRepository } from './shop/catalog-repository.ts';
import { CatalogService } from './shop/catalog-service.ts';
import { openDatabase, type Db } from './shop/database.ts';
import { OrderRepository } from './shop/order-repository.ts';
import { OrderService } from './shop/order-service.ts';
import { seedIfEmpty } from './shop/seed.ts';

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
}

/** Everything one API instance is made of, wired in dependency order: store, cache, shop, HTTP. */
export interface Service {
  readonly app: ShopApp;
  readonly db: Db;
  readonly cache: TwoTierCache;
  readonly catalog: CatalogService;
  readonly metrics: MetricsRegistry | undefined;
  readonly redis: Cluster | undefined;
  readonly instanceId: string;
  readiness(): Readiness;
  /** Stop reporting ready, so a load balancer drains this instance before it stops. */
  drain(): void;
  close(): Promise<void>;
}

export function createService(options: ServiceOptions): Service {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const instanceId = options.instanceId ?? randomUUID();
  const db = openDatabase(config.DATABASE_PATH);
  if (seedIfEmpty(db, { products: config.SEED_PRODUCTS, orders: options.seedOrders ?? Math.ceil(config.SEED_PRODUCTS * 0.6) })) {
    logger.info({ products: config.SEED_PRODUCTS }, 'seeded an empty catalogue');
  }

  const policies = shopCachePolicies(config.CACHE_TTL_SCALE).map((p) => (config.CACHE_L1_ENABLED ? p : { ...p, l1: false }));
  const registry = new PrefixRegistry(policies);
  const metricsRegistry = options.metrics === false ? undefined : new MetricsRegistry({ defaultMetrics: true });
  const cacheMetrics = metricsRegistry ? new CacheMetrics(metricsRegistry.registry, registry.labels()) : undefined;
  const tracing = options.tracing ?? false;
  const counting: CacheObserver = cacheMetrics ?? noopObserver;
  const observer = tracing ? composeObserver(counting, new CacheTracing()) : counting;

  const l1 = new L1MemoryTier({ maxEntries: config.CACHE_L1_MAX_ENTRIES, maxBytes: config.CACHE_L1_MAX_BYTES }, registry, observer);
  cacheMetrics?.attachL1({ entries: (i) => l1.entries(i), get bytes() { return l1.bytes; } });

  let redis: Cluster | undefined;
  let l2: L2RedisTier | undefined;
  let bus: InvalidationBus | undefined;
  let evictions: L2EvictionListener | undefined;
  let subscriber: Cluster | undefined;
  const nodes = config.REDIS_CLUSTER_NODES;
  if (nodes && nodes.length > 0) {
    redis = createRedisCluster({ seeds: nodes, commandTimeoutMs: config.CACHE_L2_TIMEOUT_MS });
    redis.on('error', (error: unknown) => logger.debug({ err: error }, 'redis cluster client error'));
    l2 = new L2RedisTier(redis, config.CACHE_NAMESPACE, {
      timeoutMs: config.CACHE_L2_TIMEOUT_MS,
      breakerFailureThreshold: config.CACHE_L2_BREAKER_FAILURES,
      breakerOpenMs: config.CACHE_L2_BREAKER_OPEN_MS,
      versionTtlMs: 24 * 3_600_000,
    }, observer);
    l2.startProbing();
    subscriber = redis.duplicate();
    subscriber.on('error', (error: unknown) => logger.debug({ err: error }, 'redis subscriber error'));
  }

  const cache = new TwoTierCache({
    registry,
    l1,
    l2,
    observer,
    instanceId,
    lockTtlMs: config.CACHE_LOCK_TTL_MS,
    lockWaitMs: config.CACHE_LOCK_WAIT_MS,
    lockPollMs: 10,
    maxTags: 10_000,
    maxPendingInvalidations: 10_000,
  });

  if (l2 && subscriber) {
    const tier = l2;
    bus = new InvalidationBus(subscriber, (message) => tier.publish(message), {
      channel: tier.keys.channel(),
      instanceId,
      heartbeatMs: config.CACHE_BUS_HEARTBEAT_MS,
      onMessage: (m) => cache.handleRemote(m),
      onGap: () => {
        logger.warn('invalidation bus recovered from a gap: L1 dropped, tag versions re-read');
        cache.handleGap();
      },
      onError: (error) => logger.warn({ err: error }, 'invalidation bus error'),
    });
    cache.attachBus(bus);
    void bus.start();
    let lastCircuit = tier.circuitState;
    tier.onRecovery(() => logger.info('redis reachable again: L2 circuit closed'));
    const circuitLog = setInterval(() => {
      if (tier.circuitState !== lastCircuit) {
        lastCircuit = tier.circuitState;
        if (lastCircuit === 'open') logger.warn({ lastError: tier.status().lastError }, 'redis unreachable: L2 circuit open, reads go to SQLite');
      }
    }, 250);
    circuitLog.unref();
    evictions = new L2EvictionListener(tier.client, tier.keys, {
      configureNotifications: config.CACHE_L2_KEYSPACE_EVENTS,
      refreshMs: 5_000,
      onEvent: (full, reason) => {
        const name = full.slice(0, full.indexOf(':'));
        observer.eviction(registry.find(name) ?? registry.other, 'l2', reason);
      },
      onError: (error) => logger.debug({ err: error }, 'keyspace notification subscriber error'),
    });
    redis!.once('ready', () => evictions?.start());
  }

  const catalogRepo = new CatalogRepository(db);
  const catalog = new CatalogService(catalogRepo, cache);
  const orders = new OrderService(new OrderRepository(db), catalog);
  let draining = false;

  const readiness = (): Readiness => {
    const checks: Record<string, DependencyState> = {};
    try {
      db.prepare('SELECT 1').get();
      checks.sqlite = { status: 'up' };
    } catch (error) {
      checks.sqlite = { status: 'down', error: error instanceof Error ? error.message : String(error) };
    }
    if (l2) {
      const s = l2.status();
      const busStatus = bus?.status();
      const healthy = s.circuit === 'closed' && s.clusterStatus === 'ready' && (busStatus?.healthy ?? true);
      checks.redis = { status: healthy ? 'up' : 'degraded', ...s, bus: busStatus, pendingInvalidations: cache.pendingInvalidations };
    } else {
      checks.redis = { status: 'disabled', detail: 'no Redis Cluster configured: L1 only' };
    }
    const status = draining || checks.sqlite.status !== 'up' ? 'unavailable' : checks.redis.status === 'degraded' ? 'degraded' : 'ready';
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
    tracing,
    metrics: metricsRegistry && cacheMetrics
      ? { registry: metricsRegistry, http: new HttpMetrics(metricsRegistry.registry), cache: cacheMetrics, servedOnApiPort: config.METRICS_PORT === 0, token: config.METRICS_TOKEN }
      : undefined,
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
  });

  return {
    app,
    db,
    cache,
    catalog,
    metrics: metricsRegistry,
    redis,
    instanceId,
    readiness,
    drain() {
      draining = true;
    },
    async close() {
      draining = true;
      await bus?.stop();
      await evictions?.stop();
      l2?.stopProbing();
      subscriber?.disconnect();
      if (redis) {
        await redis.quit().catch(() => redis?.disconnect());
      }
      if (db.open) db.close();
    },
  };
}
