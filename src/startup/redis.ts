import type { Config } from '../config/config.ts';
import { type RedisConnection, redisConnectionFrom } from '../config/redis-connection.ts';
import { StartupError } from '../config/startup-error.ts';
import type { Logger } from '../observability/logger.ts';
import { acquireSharedLocalCluster, RedisServerMissingError } from '../redis-cluster/index.ts';
import { probeSeeds } from '../redis-cluster/probe.ts';
import { assessRedisSeeds } from './redis-check.ts';

/** How long the start-up probe waits for each seed. */
const PROBE_TIMEOUT_MS = 2_000;

export interface RedisAttachment {
  /** Seeds for the cache, or undefined to run on L1 alone. */
  readonly seeds: Config['REDIS_CLUSTER_NODES'];
  /** Credentials, TLS and NAT map for those seeds. */
  readonly connection: RedisConnection;
  /** Gives back what this process started (a local cluster); idempotent. */
  release(): Promise<void>;
}

const nothing: RedisAttachment = { seeds: undefined, connection: {}, release: async () => undefined };

/** Which Redis Cluster this process uses: a configured one (checked), a local one, or none. */
export async function connectRedis(config: Config, logger: Logger): Promise<RedisAttachment> {
  if (config.REDIS_CLUSTER_NODES) {
    const connection = redisConnectionFrom(config);
    // Seeds keep host and port only: credentials from URLs live in `connection`, never in logs.
    const seeds = config.REDIS_CLUSTER_NODES.map(({ host, port }) => ({ host, port }));
    const reachable = seeds.map((s) => connection.natMap?.[`${s.host}:${s.port}`] ?? s);
    const probes = await probeSeeds(reachable, connection, PROBE_TIMEOUT_MS);
    const warning = assessRedisSeeds(probes, PROBE_TIMEOUT_MS);
    if (warning) logger.warn({ nodes: probes }, warning);
    return { seeds, connection, release: async () => undefined };
  }
  if (config.REDIS_MODE === 'none') return nothing;
  try {
    const lease = await acquireSharedLocalCluster(config.REDIS_LOCAL_CLUSTER_DIR, { log: (m) => logger.debug(m) });
    const nodes = lease.seeds.map((s) => `${s.host}:${s.port}`).join(',');
    if (lease.orphansKilled > 0)
      logger.warn({ killed: lease.orphansKilled }, 'killed redis-server processes left behind by a crashed run');
    logger.info(
      { nodes, stateDir: config.REDIS_LOCAL_CLUSTER_DIR },
      lease.joined
        ? 'joined the local Redis Cluster another instance on this machine launched'
        : 'started a local Redis Cluster (3 masters, 3 replicas), shared with later instances on this machine; set REDIS_CLUSTER_NODES to use your own',
    );
    return { seeds: [...lease.seeds], connection: {}, release: () => lease.release() };
  } catch (error) {
    if (error instanceof RedisServerMissingError) {
      warnNoRedis(logger, error.message);
      return nothing;
    }
    const firstLine = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new StartupError(
      'localCluster',
      `could not launch the local Redis Cluster (${firstLine}); set REDIS_CLUSTER_NODES to an existing cluster or REDIS_MODE=none`,
    );
  }
}

function warnNoRedis(logger: Logger, install: string): void {
  const banner = '!'.repeat(78);
  logger.warn({ install }, 'redis-server is not installed: running on the in-process L1 cache alone');
  process.stderr.write(
    `\n${banner}\n  NO REDIS: the cache runs on L1 only; instances will not share a cache.\n  ${install}\n${banner}\n\n`,
  );
}
