import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertRedisBinariesPresent } from './binaries.ts';
import { createClusterWithRedisCli } from './cluster-create.ts';
import { ClusterHandle, DEFAULT_TIMEOUT_MS, type RedisClusterHandle } from './cluster-handle.ts';
import { RedisClusterError, RedisNodeExitedError } from './errors.ts';
import { CLUSTER_BUS_OFFSET, findFreeClusterPort } from './free-port.ts';
import type { NodeConnection } from './node-client.ts';
import { type NodeSecurity, renderRedisNodeConfig } from './node-config.ts';
import { RedisNodeProcess } from './node-process.ts';
import { trackOwnedDir } from './owned-dirs.ts';

export type { RedisClusterHandle, RedisClusterNodeInfo, RedisClusterSeed } from './cluster-handle.ts';

export interface StartRedisClusterOptions {
  /** Default 3 (the minimum Redis Cluster accepts). */
  masters?: number;
  /** Default 1. */
  replicasPerMaster?: number;
  /** Default: a fresh directory under os.tmpdir(), removed by stop(). A given dir is kept. */
  baseDir?: string;
  maxmemoryBytes?: number;
  maxmemoryPolicy?: string;
  /** Extra redis.conf directives (`directive value`), applied to every node after the defaults. */
  extraConfig?: Record<string, string>;
  log?: (msg: string) => void;
  /** Bound for each startup wait (node PING, cluster formation). Default 30 s. */
  timeoutMs?: number;
  /** Password, ACL users and TLS on every node (the cluster then speaks only TLS). */
  security?: NodeSecurity;
  /** Nodes in their own process group, able to outlive this process once handed over (shared local cluster). */
  detached?: boolean;
}

const MIN_MASTERS = 3;
const PORT_COLLISION_RETRIES = 3;

function validateCounts(masters: number, replicasPerMaster: number): void {
  if (!Number.isInteger(masters) || masters < MIN_MASTERS) {
    throw new RedisClusterError(
      `masters must be an integer >= ${MIN_MASTERS} (Redis Cluster requirement), got ${masters}`,
    );
  }
  if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0) {
    throw new RedisClusterError(`replicasPerMaster must be a non-negative integer, got ${replicasPerMaster}`);
  }
}

export async function startRedisCluster(opts: StartRedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masterCount = opts.masters ?? 3;
  const replicasPerMaster = opts.replicasPerMaster ?? 1;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = opts.log ?? ((): void => undefined);
  validateCounts(masterCount, replicasPerMaster);
  assertRedisBinariesPresent();

  const ownsBaseDir = opts.baseDir === undefined;
  const baseDir = opts.baseDir ?? mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  if (ownsBaseDir) trackOwnedDir(baseDir);
  mkdirSync(baseDir, { recursive: true });

  const nodeCount = masterCount * (1 + replicasPerMaster);
  const security = opts.security;
  const connection: NodeConnection = {
    ...(security?.password !== undefined ? { password: security.password } : {}),
    ...(security?.tls ? { tls: { ca: readFileSync(security.tls.caFile) } } : {}),
  };
  const claimedPorts = new Set<number>();
  const startedAt = Date.now();

  const startNode = async (index: number): Promise<RedisNodeProcess> => {
    const dir = join(baseDir, `node-${index}`);
    mkdirSync(dir, { recursive: true });
    for (let attempt = 1; ; attempt++) {
      const port = await findFreeClusterPort(claimedPorts);
      claimedPorts.add(port);
      claimedPorts.add(port + CLUSTER_BUS_OFFSET);
      // A failed attempt may have left a nodes.conf with a node id bound to the old port.
      rmSync(join(dir, 'nodes.conf'), { force: true });
      const node = new RedisNodeProcess(port, dir, { detached: opts.detached ?? false, connection });
      writeFileSync(node.confPath, renderRedisNodeConfig({ ...opts, port, dir }));
      try {
        await node.start(timeoutMs);
        return node;
      } catch (error) {
        // The free-port probe can race with other processes grabbing the port.
        const collided = error instanceof RedisNodeExitedError && /address already in use/i.test(error.logTail);
        if (!collided || attempt >= PORT_COLLISION_RETRIES) throw error;
        log(`port ${port} was taken before redis-server bound it; retrying with another port`);
      }
    }
  };

  const started = await Promise.allSettled(Array.from({ length: nodeCount }, (_, index) => startNode(index)));
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const handle = new ClusterHandle(baseDir, ownsBaseDir, nodes, connection);
  const firstFailure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (firstFailure !== undefined) {
    await handle.stop();
    throw firstFailure.reason;
  }
  log(`started ${nodeCount} redis-server processes in ${Date.now() - startedAt} ms under ${baseDir}`);

  try {
    await createClusterWithRedisCli(
      nodes.map((node) => node.port),
      replicasPerMaster,
      { password: security?.password, caFile: security?.tls?.caFile },
    );
    await handle.waitForFormation(masterCount, nodeCount, timeoutMs);
    await handle.waitForReplicasSynced(timeoutMs);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  log(`cluster ${handle.seedString} ready in ${Date.now() - startedAt} ms`);
  return handle;
}
