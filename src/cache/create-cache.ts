import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import type { Clock } from './clock.ts';
import { type BusNode, InvalidationBus } from './invalidation-bus.ts';
import { L1MemoryTier, type L1Options } from './l1-memory-tier.ts';
import { L2EvictionListener } from './l2-eviction-listener.ts';
import { L2RedisTier } from './l2-redis-tier.ts';
import type { PrefixRegistry } from './prefix-registry.ts';
import { createRedisCluster, type RedisConnectionOptions } from './redis-client.ts';
import { TwoTierCache } from './two-tier-cache.ts';
import type { CacheObserver } from './types.ts';
import { withTimeout } from './with-timeout.ts';

export interface CacheLog {
  info(message: string, detail?: Record<string, unknown>): void;
  warn(message: string, detail?: Record<string, unknown>): void;
  debug(message: string, detail?: Record<string, unknown>): void;
}

export interface CreateCacheOptions {
  registry: PrefixRegistry;
  observer: CacheObserver;
  log: CacheLog;
  l1: L1Options;
  /** Absent: L1 only (no sharing between instances). */
  redis?: {
    seeds: readonly { host: string; port: number }[];
    namespace: string;
    timeoutMs: number;
    breakerFailures: number;
    breakerOpenMs: number;
    heartbeatMs: number;
    keyspaceEvents: boolean;
    /** Credentials, TLS and NAT map of a managed cluster. */
    connection?: RedisConnectionOptions;
  };
  lockTtlMs: number;
  lockWaitMs: number;
  instanceId?: string;
  /** Time for freshness and grace; tests inject one they move by hand. */
  clock?: Clock;
}

export interface CacheRuntime {
  readonly cache: TwoTierCache;
  readonly l1: L1MemoryTier;
  readonly l2: L2RedisTier | undefined;
  readonly bus: InvalidationBus | undefined;
  readonly redis: Cluster | undefined;
  close(): Promise<void>;
}

/** The nodes the cluster client knows now, addressed as it reaches them (NAT map applied), with its credentials. */
function busNodes(client: Cluster): BusNode[] {
  return client.nodes('all').map((node) => ({
    host: node.options.host ?? '127.0.0.1',
    port: node.options.port ?? 6379,
    username: node.options.username,
    password: node.options.password,
    tls: node.options.tls,
  }));
}

/**
 * Wires the tiers, the bus and the L2 eviction listener into one cache. Everything that talks
 * to Redis is created here and closed by close().
 */
export function createCache(options: CreateCacheOptions): CacheRuntime {
  const { registry, observer, log } = options;
  const instanceId = options.instanceId ?? randomUUID();
  const l1 = new L1MemoryTier(options.clock ? { ...options.l1, clock: options.clock } : options.l1, registry, observer);
  let redis: Cluster | undefined;
  let l2: L2RedisTier | undefined;
  let bus: InvalidationBus | undefined;
  let evictions: L2EvictionListener | undefined;

  if (options.redis) {
    const r = options.redis;
    redis = createRedisCluster({ seeds: r.seeds, commandTimeoutMs: r.timeoutMs, ...r.connection });
    redis.on('error', (error: unknown) => log.debug('redis cluster client error', { err: error }));
    l2 = new L2RedisTier(
      redis,
      r.namespace,
      {
        timeoutMs: r.timeoutMs,
        breakerFailureThreshold: r.breakerFailures,
        breakerOpenMs: r.breakerOpenMs,
        versionTtlMs: 24 * 3_600_000,
      },
      observer,
    );
    l2.startProbing();
  }

  const cache = new TwoTierCache({
    registry,
    l1,
    l2,
    observer,
    instanceId,
    lockTtlMs: options.lockTtlMs,
    lockWaitMs: options.lockWaitMs,
    lockPollMs: 10,
    maxTags: 10_000,
    maxPendingInvalidations: 10_000,
    ...(options.clock ? { clock: options.clock } : {}),
  });

  if (l2 && redis && options.redis) {
    const tier = l2;
    const client = redis;
    bus = new InvalidationBus(
      () => busNodes(client),
      (message) => tier.publish(message),
      {
        channel: tier.keys.channel(),
        instanceId,
        heartbeatMs: options.redis.heartbeatMs,
        connectTimeoutMs: 1_000,
        onMessage: (m) => cache.handleRemote(m),
        onGap: () => {
          log.warn('invalidation bus recovered from a gap: L1 dropped, tag versions re-read');
          cache.handleGap();
        },
        onSilence: () => {
          log.warn('invalidation bus silent: L1 dropped until the heartbeat comes back');
          cache.handleGap();
        },
        onError: (error) => log.warn('invalidation bus error', { err: error }),
        onSubscriptionTrouble: (node, reason, error) =>
          log.debug('invalidation bus subscription moved', { node, reason, ...(error ? { err: error } : {}) }),
      },
    );
    cache.attachBus(bus);
    void bus.start();
    const started = bus;
    // Until the client knows the cluster's nodes the bus has nowhere to subscribe.
    for (const event of ['ready', '+node']) client.on(event, () => started.nodesChanged());
    // Logged at the edges only: while Redis stays down the circuit cycles open → half-open → open each probe.
    tier.onCircuitChange((state, previous) => {
      if (state === 'open' && previous === 'closed')
        log.warn('redis unreachable: L2 circuit open, reads go to the loader', { lastError: tier.status().lastError });
      if (state === 'closed') log.info('redis reachable again: L2 circuit closed');
    });
    evictions = new L2EvictionListener(tier.client, tier.keys, {
      configureNotifications: options.redis.keyspaceEvents,
      refreshMs: 5_000,
      onEvent: (full, reason) => {
        const name = full.slice(0, full.indexOf(':'));
        observer.eviction(registry.find(name) ?? registry.other, 'l2', reason);
      },
      onError: (error) => log.debug('keyspace notification subscriber error', { err: error }),
    });
    evictions.start();
  }

  return {
    cache,
    l1,
    l2,
    bus,
    redis,
    async close() {
      cache.close();
      await bus?.stop();
      await evictions?.stop();
      l2?.stopProbing();
      // QUIT waits for every node's reply: a paused node must not hold shutdown past the call timeout.
      if (redis) await withTimeout(redis.quit(), options.redis?.timeoutMs ?? 1_000).catch(() => redis?.disconnect());
    },
  };
}
