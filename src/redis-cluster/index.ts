export {
  startRedisCluster,
  type RedisClusterHandle,
  type RedisClusterNodeInfo,
  type RedisClusterSeed,
  type StartRedisClusterOptions,
} from './launcher.ts';
export {
  RedisClusterError,
  RedisClusterTimeoutError,
  RedisNodeExitedError,
  RedisServerMissingError,
  REDIS_INSTALL_COMMAND,
} from './errors.ts';
export { parseClusterNodes, type ClusterNodeEntry } from './cluster-nodes.ts';
