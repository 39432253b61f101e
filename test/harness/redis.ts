import { inject } from 'vitest';
import { RedisClusterError } from '../../src/redis-cluster/errors.ts';

export type {
  RedisClusterHandle,
  RedisClusterNodeInfo,
  StartRedisClusterOptions,
} from '../../src/redis-cluster/index.ts';
/**
 * Fault-injection tests get a private cluster so killing nodes cannot disturb
 * tests running in parallel against the shared one.
 */
export { startRedisCluster as startPrivateCluster } from '../../src/redis-cluster/index.ts';

/** REDIS_CLUSTER_NODES-format seeds of the cluster started by global-setup. */
export function sharedClusterSeeds(): string {
  const seeds = inject('redisClusterNodes');
  if (seeds === undefined || seeds === '') {
    throw new RedisClusterError(
      'No shared Redis Cluster was provided; is test/harness/global-setup.ts configured as globalSetup?',
    );
  }
  return seeds;
}

/** `host:port,host:port` as the cache's options take them. */
export function parseSeeds(seeds: string): Array<{ host: string; port: number }> {
  return seeds.split(',').map((seed) => {
    const separator = seed.lastIndexOf(':');
    const port = Number(seed.slice(separator + 1));
    if (separator < 0 || !Number.isInteger(port))
      throw new RedisClusterError(`Malformed cluster seed "${seed}" in "${seeds}"`);
    return { host: seed.slice(0, separator), port };
  });
}
