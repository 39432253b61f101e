export { type ClusterNodeEntry, parseClusterNodes } from './cluster-nodes.ts';
export {
  REDIS_INSTALL_COMMAND,
  RedisClusterError,
  RedisClusterTimeoutError,
  RedisNodeExitedError,
  RedisServerMissingError,
} from './errors.ts';
export {
  type RedisClusterHandle,
  type RedisClusterNodeInfo,
  type RedisClusterSeed,
  type StartRedisClusterOptions,
  startRedisCluster,
} from './launcher.ts';
export { acquireSharedLocalCluster, type SharedClusterLease } from './shared-local.ts';
