import { Cluster, type ClusterNode } from 'ioredis';

export interface RedisClientOptions {
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
    redisOptions: {
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: options.connectTimeoutMs ?? 1_000,
      maxRetriesPerRequest: 1,
      autoResubscribe: true,
    },
  });
}
