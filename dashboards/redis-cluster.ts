import type { PromQuery } from '../src/observability/promql/query.ts';
import {
  redisClusterState,
  redisCommandLatency,
  redisCommandsByCommand,
  redisCommandsByNode,
  redisConnectedClients,
  redisEvictedKeys,
  redisExpiredKeys,
  redisKeyspaceHitRatio,
  redisMasterLinkUp,
  redisMemoryMax,
  redisMemoryUse,
  redisMemoryUsed,
  redisNodeRoles,
  redisReplicasPerMaster,
  redisSlots,
  redisUp,
} from '../src/observability/promql/redis-queries.ts';
import { DASHBOARD_UIDS, dashboard, jobInstanceVariables } from './frame.ts';
import type { Dashboard } from './model.ts';
import { from, type PanelSpec } from './panels.ts';

/** Flower shop / Redis cluster: the nodes behind L2, per node and role, from redis_exporter. */

/** Adds the node's role (master/replica) to a per-instance redis series. */
/** A per-node stat that is either 0 (red, `texts[0]`) or 1 (green, `texts[1]`). */
function twoStateStat(title: string, description: string, query: PromQuery, texts: [string, string]): PanelSpec {
  return {
    type: 'stat',
    title,
    description,
    unit: 'none',
    w: 8,
    colorMode: 'background',
    thresholds: [
      { color: 'red', value: null },
      { color: 'green', value: 1 },
    ],
    mappings: [
      {
        type: 'value',
        options: {
          '0': { text: texts[0], color: 'red', index: 0 },
          '1': { text: texts[1], color: 'green', index: 1 },
        },
      },
    ],
    targets: [from(query)],
  };
}

export function redisCluster(): Dashboard {
  return dashboard({
    uid: DASHBOARD_UIDS.redisCluster,
    startTimeMetric: 'redis_start_time_seconds',
    title: 'Flower shop / Redis cluster',
    description: 'Redis Cluster behind the L2 cache, per node (instance) and role, from redis_exporter.',
    tags: ['redis'],
    variables: jobInstanceVariables('redis_up', 'redis'),
    rows: [
      {
        title: 'Nodes',
        description: 'Which nodes are up, their role and the cluster state.',
        panels: [
          twoStateStat('Up', 'redis_exporter could connect to the node (1) or not (0).', redisUp, ['down', 'up']),
          twoStateStat(
            'Cluster state',
            'cluster_state as each node sees it: 1 ok, 0 fail (slots uncovered). Compare with `redis-cli --cluster check`.',
            redisClusterState,
            ['fail', 'ok'],
          ),
          {
            type: 'table',
            title: 'Node roles',
            description: 'Role (master/replica), version and maxmemory policy of every node.',
            unit: 'none',
            w: 8,
            targets: [from(redisNodeRoles, { instant: true, format: 'table' })],
          },
        ],
      },
      {
        title: 'Memory and keys',
        description: 'Memory against maxmemory, and keys leaving through eviction or expiry.',
        panels: [
          {
            title: 'Memory used and max',
            description:
              'used_memory and maxmemory per node (maxmemory 0 means unlimited). Evictions start when used reaches max.',
            unit: 'bytes',
            targets: [from(redisMemoryUsed), from(redisMemoryMax)],
          },
          {
            title: 'Memory used / max',
            description: 'Share of maxmemory in use per node (nodes without a maxmemory are left out).',
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [from(redisMemoryUse)],
          },
          {
            title: 'Evicted keys',
            description:
              'Keys evicted per second per node by the maxmemory policy. The L2 "evicted" eviction reason on the cache dashboard is the application view of this.',
            unit: 'ops',
            targets: [from(redisEvictedKeys)],
          },
          {
            title: 'Expired keys',
            description: 'Keys expired per second per node (TTL).',
            unit: 'ops',
            targets: [from(redisExpiredKeys)],
          },
        ],
      },
      {
        title: 'Cluster and replication',
        description: 'Slot coverage, replicas per master and their links: what a failover leaves behind.',
        panels: [
          {
            title: 'Slot coverage',
            description:
              'Hash slots (of 16384) as the nodes see them: assigned, ok, pfail (a master suspected down) and fail (no reachable master). Anything in pfail or fail fires RedisClusterSlotsNotOk.',
            unit: 'short',
            min: 0,
            targets: redisSlots.map((q) => from(q)),
          },
          {
            title: 'Replicas per master',
            description:
              'Connected replicas of each master. A master with 0 has no failover left: one more failure loses its slots.',
            unit: 'short',
            min: 0,
            targets: [from(redisReplicasPerMaster)],
          },
          twoStateStat(
            'Replica link to master',
            'master_link_status of each replica: 1 up, 0 down (not replicating). Down for 2m fires RedisReplicaMasterLinkDown.',
            redisMasterLinkUp,
            ['down', 'up'],
          ),
          {
            title: 'Mean command latency by command',
            description:
              "Time Redis spends per call, by command (redis_exporter: commands_duration / commands; server-side, without the network). EVALSHA is the cache's Lua scripts.",
            unit: 's',
            w: 24,
            targets: [from(redisCommandLatency)],
          },
        ],
      },
      {
        title: 'Traffic',
        description: "Redis's own view of hits, commands and clients.",
        panels: [
          {
            title: 'Keyspace hit ratio',
            description:
              "Redis's own keyspace_hits / (hits + misses) per node. Differs from the L2 hit ratio on the cache dashboard, which counts per cache lookup.",
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [from(redisKeyspaceHitRatio)],
          },
          {
            title: 'Commands per second by command',
            description: 'Commands processed per second by command, all selected nodes.',
            unit: 'ops',
            stack: true,
            targets: [from(redisCommandsByCommand)],
          },
          {
            title: 'Commands per second by node',
            description:
              'Commands processed per second per node and role. Replicas should see only replication traffic.',
            unit: 'ops',
            targets: [from(redisCommandsByNode)],
          },
          {
            title: 'Connected clients',
            description: 'Client connections per node (API instances, pub/sub subscribers, the exporter).',
            unit: 'short',
            targets: [from(redisConnectedClients)],
          },
        ],
      },
    ],
  });
}
