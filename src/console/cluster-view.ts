import { type Cluster, Redis } from 'ioredis';
import { withTimeout } from '../cache/with-timeout.ts';
import { parseClusterNodes } from '../redis-cluster/cluster-nodes.ts';

export interface ClusterNodeView {
  address: string;
  role: 'master' | 'replica' | 'unknown';
  /** For a replica, the address of its master. */
  replicaOf?: string;
  slotRanges: [number, number][];
  slots: number;
  /** This instance's own PING to the node answered in time. */
  reachable: boolean;
  /** Some node of the cluster flags it as failing. */
  flaggedFailing: boolean;
  pingMs?: number;
}

export interface ClusterView {
  status: string;
  nodes: ClusterNodeView[];
  error?: string;
}

const TIMEOUT_MS = 1_000;

/**
 * The Redis Cluster as this instance sees it: the topology from CLUSTER NODES (asked of the first
 * node that answers), and a PING of its own to every node. Bounded by a timeout per call and
 * computed at most once per `maxAgeMs`, however many pages ask.
 */
export class ClusterViewer {
  private cached: { at: number; view: Promise<ClusterView> } | undefined;

  constructor(
    private readonly redis: Cluster,
    private readonly maxAgeMs = 2_000,
  ) {}

  view(now = Date.now()): Promise<ClusterView> {
    if (!this.cached || now - this.cached.at >= this.maxAgeMs) this.cached = { at: now, view: this.build() };
    return this.cached.view;
  }

  private async build(): Promise<ClusterView> {
    const clients = this.redis.nodes('all');
    const pings = new Map<string, number | undefined>();
    await Promise.all(
      clients.map(async (client) => {
        const address = `${client.options.host}:${client.options.port}`;
        const t0 = performance.now();
        if (client.status !== 'ready') {
          pings.set(address, undefined);
          return;
        }
        try {
          await withTimeout(client.ping(), TIMEOUT_MS);
          pings.set(address, performance.now() - t0);
        } catch {
          pings.set(address, undefined);
        }
      }),
    );
    let topology: ReturnType<typeof parseClusterNodes> = [];
    let error: string | undefined;
    for (const client of clients) {
      if (pings.get(`${client.options.host}:${client.options.port}`) === undefined) continue;
      try {
        topology = parseClusterNodes(String(await withTimeout(client.call('CLUSTER', 'NODES'), TIMEOUT_MS)));
        break;
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
    }
    // Nodes the client holds no open connection to (replicas: the cache reads masters only) get one of their own.
    await Promise.all(
      topology
        .filter((n) => pings.get(`${n.host}:${n.port}`) === undefined)
        .map(async (n) => pings.set(`${n.host}:${n.port}`, await probe(n.host, n.port))),
    );
    const byId = new Map(topology.map((n) => [n.nodeId, `${n.host}:${n.port}`]));
    const nodes: ClusterNodeView[] = topology.map((n) => {
      const address = `${n.host}:${n.port}`;
      const ping = pings.get(address);
      const master = n.masterNodeId ? byId.get(n.masterNodeId) : undefined;
      return {
        address,
        role: n.role,
        ...(master ? { replicaOf: master } : {}),
        slotRanges: n.slotRanges,
        slots: n.slotCount,
        reachable: ping !== undefined,
        flaggedFailing: n.failing,
        ...(ping !== undefined ? { pingMs: Math.round(ping * 100) / 100 } : {}),
      };
    });
    // Nodes the client knows that the topology did not list (or no topology at all: every node down).
    for (const [address, ping] of pings) {
      if (nodes.some((n) => n.address === address)) continue;
      nodes.push({
        address,
        role: 'unknown',
        slotRanges: [],
        slots: 0,
        reachable: ping !== undefined,
        flaggedFailing: false,
        ...(ping !== undefined ? { pingMs: Math.round(ping * 100) / 100 } : {}),
      });
    }
    nodes.sort((a, b) => (a.role === b.role ? a.address.localeCompare(b.address) : a.role === 'master' ? -1 : 1));
    return { status: this.redis.status, nodes, ...(error && topology.length === 0 ? { error } : {}) };
  }
}

/** A PING over a connection of its own, closed at once: bounded by the timeout, never retried. */
async function probe(host: string, port: number): Promise<number | undefined> {
  const client = new Redis({
    host,
    port,
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    commandTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  const t0 = performance.now();
  try {
    await withTimeout(client.connect(), TIMEOUT_MS);
    await withTimeout(client.ping(), TIMEOUT_MS);
    return performance.now() - t0;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}
