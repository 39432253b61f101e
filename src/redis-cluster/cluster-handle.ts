import { type ClusterNodeEntry, parseClusterNodes } from './cluster-nodes.ts';
import { describeError, RedisClusterError } from './errors.ts';
import { type NodeConnection, parseInfo, readClusterNodes, withNodeClient } from './node-client.ts';
import type { RedisNodeProcess } from './node-process.ts';
import { removeOwnedDir } from './owned-dirs.ts';
import { waitUntil } from './wait.ts';

export interface RedisClusterSeed {
  host: string;
  port: number;
}

export interface RedisClusterNodeInfo {
  port: number;
  /** Null while the process is stopped or killed. */
  pid: number | null;
  role: 'master' | 'replica';
  nodeId: string;
  /** Node id of the master a replica follows; null for masters. */
  masterNodeId: string | null;
  running: boolean;
  paused: boolean;
  /** Some live node flags it fail or fail? (pfail). */
  failing: boolean;
  slotCount: number;
  slotRanges: Array<[number, number]>;
}

export interface RedisClusterHandle {
  readonly baseDir: string;
  /** Every node, masters and replicas. */
  readonly seeds: readonly RedisClusterSeed[];
  /** `host:port,host:port,...` — the REDIS_CLUSTER_NODES format. */
  readonly seedString: string;
  /**
   * Current topology read live from CLUSTER NODES. A node's own view decides
   * its role when it answers; a stopped or paused node is described by its peers.
   */
  nodes(): Promise<RedisClusterNodeInfo[]>;
  /** Masters that own slots (a killed master stays here until a replica takes over). */
  masters(): Promise<RedisClusterNodeInfo[]>;
  /** Sends `signal` to the node; for terminating signals waits until the process is gone. */
  killNode(port: number, signal?: NodeJS.Signals): Promise<void>;
  pauseNode(port: number): Promise<void>;
  resumeNode(port: number): Promise<void>;
  /** Starts the node again with the same conf and dir (killing it first if still running), so it rejoins via its nodes.conf. Resolves once it answers PING. */
  restartNode(port: number): Promise<void>;
  /** SIGKILLs every node; dirs are kept so startAll() can bring them back. */
  stopAll(): Promise<void>;
  /** Starts every node that is not running; resolves once each answers PING. */
  startAll(): Promise<void>;
  /** Every running, unpaused node reports cluster_state:ok. */
  waitForClusterOk(timeoutMs?: number): Promise<void>;
  /** Every running, unpaused replica reports master_link_status:up. */
  waitForReplicasSynced(timeoutMs?: number): Promise<void>;
  logTail(port: number): string;
  /** Kills everything and removes baseDir unless the caller supplied it. Idempotent. */
  stop(): Promise<void>;
  /** What a client needs to reach the nodes (password of the default user, CA for TLS). */
  readonly connection: NodeConnection;
  /** Lets the nodes outlive this process (they are no longer killed on its exit); their pids and ports. */
  handOver(): Array<{ port: number; pid: number }>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
const TOTAL_SLOTS = 16_384;

/** A launched cluster: its node processes, their live topology, and the faults tests inject. */
export class ClusterHandle implements RedisClusterHandle {
  readonly seeds: readonly RedisClusterSeed[];
  readonly seedString: string;
  private readonly byPort: ReadonlyMap<number, RedisNodeProcess>;
  private stopped = false;

  constructor(
    readonly baseDir: string,
    private readonly ownsBaseDir: boolean,
    private readonly processes: readonly RedisNodeProcess[],
    readonly connection: NodeConnection = {},
  ) {
    this.byPort = new Map(processes.map((node) => [node.port, node]));
    this.seeds = processes.map((node) => ({ host: '127.0.0.1', port: node.port }));
    this.seedString = this.seeds.map((seed) => `${seed.host}:${seed.port}`).join(',');
  }

  async nodes(): Promise<RedisClusterNodeInfo[]> {
    const views = await this.collectViews();
    return this.processes.map((node) => {
      const seenBy = views.flatMap(({ entries }) => entries.filter((entry) => entry.port === node.port));
      const own = seenBy.find((entry) => entry.myself);
      const entry = own ?? seenBy[0];
      if (entry === undefined) {
        throw new RedisClusterError(`No responsive node knows about 127.0.0.1:${node.port} in CLUSTER NODES`);
      }
      return {
        port: node.port,
        pid: node.pid,
        role: entry.role,
        nodeId: entry.nodeId,
        masterNodeId: entry.masterNodeId,
        running: node.running,
        paused: node.running && !node.responsive,
        failing: seenBy.some((seen) => seen.failing),
        slotCount: entry.slotCount,
        slotRanges: entry.slotRanges,
      };
    });
  }

  async masters(): Promise<RedisClusterNodeInfo[]> {
    return (await this.nodes()).filter((node) => node.role === 'master' && node.slotCount > 0);
  }

  async killNode(port: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.node(port);
    if (!node.running) throw new RedisClusterError(`Cannot kill redis-server on port ${port}: it is not running`);
    await node.kill(signal);
  }

  async pauseNode(port: number): Promise<void> {
    this.node(port).pause();
  }

  async resumeNode(port: number): Promise<void> {
    this.node(port).resume();
  }

  async restartNode(port: number): Promise<void> {
    const node = this.node(port);
    await node.kill('SIGKILL');
    await node.start();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.processes.map((node) => node.kill('SIGKILL')));
  }

  async startAll(): Promise<void> {
    this.assertNotStopped();
    await Promise.all(this.processes.filter((node) => !node.running).map((node) => node.start()));
  }

  async waitForClusterOk(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await waitUntil(
      'every live node to report cluster_state:ok',
      async () => {
        const live = this.liveNodes();
        if (live.length === 0) return 'no running node';
        const states = await Promise.all(
          live.map(async (node) => {
            const info = parseInfo(
              await withNodeClient(node.port, (client) => client.cluster('INFO'), undefined, this.connection),
            );
            return `${node.port}=${info.get('cluster_state') ?? '?'}`;
          }),
        );
        const notOk = states.filter((state) => !state.endsWith('=ok'));
        return notOk.length === 0 || `not ok: ${notOk.join(', ')}`;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  async waitForReplicasSynced(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await waitUntil(
      'every live replica to report master_link_status:up',
      async () => {
        const pending = await Promise.all(
          this.liveNodes().map(async (node) => {
            const replication = parseInfo(
              await withNodeClient(node.port, (client) => client.info('replication'), undefined, this.connection),
            );
            const isReplica = replication.get('role') === 'slave';
            return isReplica && replication.get('master_link_status') !== 'up' ? [node.port] : [];
          }),
        );
        const notSynced = pending.flat();
        return notSynced.length === 0 || `replicas not synced: ${notSynced.join(', ')}`;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  /** Startup-only check: the cluster is complete, not merely "ok" on the nodes that have met so far. */
  async waitForFormation(masterCount: number, nodeCount: number, timeoutMs: number): Promise<void> {
    await waitUntil(
      `cluster of ${nodeCount} nodes to form with all ${TOTAL_SLOTS} slots covered`,
      async () => {
        for (const node of this.processes) {
          const info = parseInfo(
            await withNodeClient(node.port, (client) => client.cluster('INFO'), undefined, this.connection),
          );
          const problem =
            info.get('cluster_state') !== 'ok'
              ? `cluster_state=${info.get('cluster_state') ?? '?'}`
              : info.get('cluster_slots_ok') !== String(TOTAL_SLOTS)
                ? `cluster_slots_ok=${info.get('cluster_slots_ok') ?? '?'}`
                : info.get('cluster_known_nodes') !== String(nodeCount)
                  ? `cluster_known_nodes=${info.get('cluster_known_nodes') ?? '?'}`
                  : null;
          if (problem !== null) return `node ${node.port}: ${problem}`;
        }
        const masters = await this.masters();
        return masters.length === masterCount || `${masters.length} masters own slots, expected ${masterCount}`;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  logTail(port: number): string {
    return this.node(port).logTail();
  }

  handOver(): Array<{ port: number; pid: number }> {
    return this.processes.flatMap((node) => {
      node.handOver();
      return node.pid === null ? [] : [{ port: node.port, pid: node.pid }];
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.stopAll();
    if (this.ownsBaseDir) {
      removeOwnedDir(this.baseDir);
    }
  }

  private liveNodes(): RedisNodeProcess[] {
    return this.processes.filter((node) => node.responsive);
  }

  private async collectViews(): Promise<Array<{ port: number; entries: ClusterNodeEntry[] }>> {
    const live = this.liveNodes();
    const results = await Promise.allSettled(
      live.map(async (node) => ({
        port: node.port,
        entries: parseClusterNodes(await withNodeClient(node.port, readClusterNodes, undefined, this.connection)),
      })),
    );
    const views = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (views.length === 0) {
      const reasons = results.flatMap((result) => (result.status === 'rejected' ? [describeError(result.reason)] : []));
      throw new RedisClusterError(
        `No node answered CLUSTER NODES${reasons.length > 0 ? `: ${reasons.join('; ')}` : ' (none running)'}`,
      );
    }
    return views;
  }

  private node(port: number): RedisNodeProcess {
    const node = this.byPort.get(port);
    if (node === undefined)
      throw new RedisClusterError(`Port ${port} is not a node of this cluster (${this.seedString})`);
    return node;
  }

  private assertNotStopped(): void {
    if (this.stopped) throw new RedisClusterError('This cluster was stopped with stop(); start a new one');
  }
}
