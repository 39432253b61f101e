import { inject } from 'vitest';
import { parseClusterNodes } from '../../src/redis-cluster/cluster-nodes.ts';
import { RedisClusterError } from '../../src/redis-cluster/errors.ts';
import { readClusterNodes, withNodeClient } from '../../src/redis-cluster/node-client.ts';

/**
 * Fault-injection tests get a private cluster so killing nodes cannot disturb
 * tests running in parallel against the shared one.
 */
export { startRedisCluster as startPrivateCluster } from '../../src/redis-cluster/index.ts';
export type { RedisClusterHandle, StartRedisClusterOptions } from '../../src/redis-cluster/index.ts';

/** REDIS_CLUSTER_NODES-format seeds of the cluster started by global-setup. */
export function sharedClusterSeeds(): string {
  const seeds = inject('redisClusterNodes');
  if (seeds === undefined || seeds === '') {
    throw new RedisClusterError('No shared Redis Cluster was provided; is test/harness/global-setup.ts configured as globalSetup?');
  }
  return seeds;
}

function parseSeeds(seeds: string): Array<{ host: string; port: number }> {
  return seeds.split(',').map((seed) => {
    const separator = seed.lastIndexOf(':');
    const port = Number(seed.slice(separator + 1));
    if (separator < 0 || !Number.isInteger(port)) throw new RedisClusterError(`Malformed cluster seed "${seed}" in "${seeds}"`);
    return { host: seed.slice(0, separator), port };
  });
}

/**
 * FLUSHALLs every master of the shared cluster. Masters are discovered through
 * CLUSTER NODES rather than taken from the seed list, because seeds include
 * replicas (which reject writes) and roles can change.
 */
export async function flushSharedCluster(): Promise<void> {
  const seeds = parseSeeds(sharedClusterSeeds());
  let lastError: unknown;
  for (const seed of seeds) {
    let topology: string;
    try {
      topology = await withNodeClient(seed, readClusterNodes);
    } catch (error) {
      lastError = error;
      continue; // try the next seed; reported below if none answers
    }
    const masters = parseClusterNodes(topology).filter((node) => node.role === 'master' && node.slotCount > 0 && !node.failing);
    await Promise.all(masters.map((master) => withNodeClient({ host: master.host, port: master.port }, (client) => client.flushall())));
    return;
  }
  throw new RedisClusterError(`No shared cluster seed answered CLUSTER NODES`, { cause: lastError });
}
