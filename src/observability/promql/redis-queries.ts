import { defineQuery, type PromQuery, type Selectors } from './query.ts';

/** The Redis Cluster behind L2, from redis_exporter, per node and role. */

/** Adds the node's role (master/replica) to a per-instance redis series. */
function withRole(s: Selectors, expr: string): string {
  return `${expr}\n* on (job, instance) group_left (role)\nmax by (job, instance, role) (${s.of('redis_instance_info')})`;
}

export const redisUp = defineQuery('Up', '{{instance}}', (s) => s.of('redis_up'));
export const redisClusterState = defineQuery('Cluster state', '{{instance}}', (s) => s.of('redis_cluster_state'));
export const redisNodeRoles = defineQuery(
  'Node roles',
  '{{instance}} {{role}}',
  (s) => `max by (instance, role, redis_version, maxmemory_policy) (${s.of('redis_instance_info')})`,
);
export const redisMemoryUsed = defineQuery('Memory used', 'used {{instance}} ({{role}})', (s) =>
  withRole(s, s.of('redis_memory_used_bytes')),
);
export const redisMemoryMax = defineQuery('Memory max', 'max {{instance}}', (s) => s.of('redis_memory_max_bytes'));
export const redisMemoryUse = defineQuery(
  'Memory used / max',
  '{{instance}}',
  (s) => `${s.of('redis_memory_used_bytes')}\n/\n(${s.of('redis_memory_max_bytes')} > 0)`,
);

function perNodeRate(name: string, metric: string): PromQuery {
  return defineQuery(name, '{{instance}} ({{role}})', (s) => withRole(s, s.rate(s.of(metric))));
}
export const redisEvictedKeys = perNodeRate('Evicted keys', 'redis_evicted_keys_total');
export const redisExpiredKeys = perNodeRate('Expired keys', 'redis_expired_keys_total');
export const redisCommandsByNode = perNodeRate('Commands per second by node', 'redis_commands_processed_total');
export const redisConnectedClients = defineQuery('Connected clients', '{{instance}} ({{role}})', (s) =>
  withRole(s, s.of('redis_connected_clients')),
);

export const redisSlots = (['assigned', 'ok', 'pfail', 'fail'] as const).map((state) =>
  defineQuery(`Slots ${state}`, state, (s) => `max(${s.of(`redis_cluster_slots_${state}`)})`),
);

export const redisReplicasPerMaster = defineQuery(
  'Replicas per master',
  '{{instance}}',
  (s) =>
    `${s.of('redis_connected_slaves')}\n* on (job, instance) group_left ()\nmax by (job, instance) (${s.of('redis_instance_info', 'role="master"')})`,
);
export const redisMasterLinkUp = defineQuery('Replica link to master', '{{instance}}', (s) =>
  s.of('redis_master_link_up'),
);
export const redisCommandLatency = defineQuery(
  'Mean command latency by command',
  '{{cmd}}',
  (s) =>
    `sum by (cmd) (${s.rate(s.of('redis_commands_duration_seconds_total'))})\n/\n` +
    `(sum by (cmd) (${s.rate(s.of('redis_commands_total'))}) > 0)`,
);
export const redisKeyspaceHitRatio = defineQuery('Keyspace hit ratio', '{{instance}}', (s) => {
  const hits = `sum by (instance) (${s.rate(s.of('redis_keyspace_hits_total'))})`;
  const misses = `sum by (instance) (${s.rate(s.of('redis_keyspace_misses_total'))})`;
  return `${hits}\n/\n(\n  ${hits}\n  +\n  ${misses}\n)`;
});
export const redisCommandsByCommand = defineQuery(
  'Commands per second by command',
  '{{cmd}}',
  (s) => `sum by (cmd) (${s.rate(s.of('redis_commands_total'))})`,
);
