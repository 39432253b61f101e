import type { ConnectionOptions } from 'node:tls';
import { Cluster, type ClusterNode } from 'ioredis';

/** What a managed cluster needs: an ACL user and password, TLS, addresses translated. */
export interface RedisConnectionOptions {
  username?: string | undefined;
  password?: string | undefined;
  tls?: ConnectionOptions | undefined;
  /** Announced `host:port` → where this host reaches that node. */
  natMap?: Record<string, { host: string; port: number }> | undefined;
}

export interface RedisClientOptions extends RedisConnectionOptions {
  seeds: readonly { host: string; port: number }[];
  commandTimeoutMs: number;
  connectTimeoutMs?: number;
}

/**
 * The cluster client every L2 call goes through. Offline queues are off: while Redis is
 * unreachable a command fails at once instead of piling up and landing late, and the circuit
 * breaker takes it from there. The client keeps reconnecting forever, so a cluster that
 * appears after start-up (or comes back) is picked up without a restart.
 */
export function createRedisCluster(options: RedisClientOptions): Cluster {
  const nodes: ClusterNode[] = options.seeds.map((s) => ({ host: s.host, port: s.port }));
  return new Cluster(nodes, {
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    enableReadyCheck: true,
    scaleReads: 'master',
    maxRedirections: 6,
    retryDelayOnFailover: 50,
    retryDelayOnClusterDown: 50,
    retryDelayOnTryAgain: 50,
    slotsRefreshTimeout: Math.max(500, options.commandTimeoutMs * 5),
    slotsRefreshInterval: 5_000,
    clusterRetryStrategy: (times) => Math.min(50 * times, 1_000),
    ...(options.natMap ? { natMap: options.natMap } : {}),
    // With TLS, nodes are reached by the names they announce, so certificates for those names verify.
    ...(options.tls
      ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) }
      : {}),
    redisOptions: {
      // The node connections' own auto-pipelining: reads sent straight to a slot's owner
      // (slot-owners.ts) are batched per tick as the cluster's commands are. The bus's PUBLISH
      // and the console's PING keep the plain path they had: each is sent on its own, at once.
      enableAutoPipelining: true,
      autoPipeliningIgnoredCommands: ['publish', 'ping'],
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      // No ioredis commandTimeout: every call on this client is raced against a timer of its
      // own (L2RedisTier, the bus's publish, the console's cluster view), which also covers what
      // commandTimeout does not (a command waiting for a redirect or a reconnect). A second
      // timer per command cost ~0.6 µs of CPU per L2 read (bench/l2-read-layers.ts).
      connectTimeout: options.connectTimeoutMs ?? 1_000,
      maxRetriesPerRequest: 1,
      autoResubscribe: true,
    },
  });
}
