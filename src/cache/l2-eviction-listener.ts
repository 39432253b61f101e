import { type Cluster, Redis } from 'ioredis';
import type { RedisKeyspace } from './cache-key.ts';

export interface L2EvictionListenerOptions {
  /** Turn on keyspace notifications on each master (needs CONFIG; off where a managed Redis forbids it). */
  configureNotifications: boolean;
  refreshMs: number;
  onEvent: (fullKey: string, reason: 'evicted' | 'expired') => void;
  onError: (error: unknown) => void;
}

const EVENTS = { '__keyevent@0__:evicted': 'evicted', '__keyevent@0__:expired': 'expired' } as const;

/**
 * Counts what Redis drops on its own. Keyspace events are local to the node that raised them,
 * so one subscriber per master, re-discovered on a timer to follow failovers.
 */
export class L2EvictionListener {
  private readonly subscribers = new Map<string, Redis>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly keys: RedisKeyspace,
    private readonly options: L2EvictionListenerOptions,
  ) {}

  start(): void {
    this.cluster.on('ready', this.onTopologyChange);
    this.cluster.on('+node', this.onTopologyChange);
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
  }

  private readonly onTopologyChange = (): void => void this.refresh();

  async stop(): Promise<void> {
    this.cluster.off('ready', this.onTopologyChange);
    this.cluster.off('+node', this.onTopologyChange);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const subs = [...this.subscribers.values()];
    this.subscribers.clear();
    for (const sub of subs) sub.disconnect();
  }

  get nodeCount(): number {
    return this.subscribers.size;
  }

  private async refresh(): Promise<void> {
    if (this.cluster.status !== 'ready') return;
    const masters = new Set(
      this.cluster.nodes('master').map((n) => `${n.options.host ?? '127.0.0.1'}:${n.options.port ?? 6379}`),
    );
    for (const [address, sub] of this.subscribers) {
      if (!masters.has(address)) {
        this.subscribers.delete(address);
        sub.disconnect();
      }
    }
    for (const address of masters) {
      if (!this.subscribers.has(address)) await this.subscribeTo(address);
    }
  }

  private async subscribeTo(address: string): Promise<void> {
    const [host, portText] = address.split(':');
    // Same credentials and TLS as the cluster client.
    const { username, password, tls } = this.cluster.options.redisOptions ?? {};
    const sub = new Redis({
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(tls ? { tls } : {}),
      host: host ?? '127.0.0.1',
      port: Number(portText),
      lazyConnect: true,
      connectTimeout: 1_000,
      commandTimeout: 1_000,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(100 * times, 2_000),
    });
    sub.on('error', (error: unknown) => this.options.onError(error));
    this.subscribers.set(address, sub);
    try {
      await sub.connect();
      if (this.options.configureNotifications) {
        // Use a separate short-lived command: a connection in subscriber mode cannot run CONFIG.
        const admin = sub.duplicate();
        try {
          await admin.config('SET', 'notify-keyspace-events', 'Exe');
        } finally {
          admin.disconnect();
        }
      }
      sub.on('message', (channel: string, key: string) => {
        const reason = EVENTS[channel as keyof typeof EVENTS];
        const full = this.keys.fullKeyOf(key);
        if (reason && full) this.options.onEvent(full, reason);
      });
      await sub.subscribe(...Object.keys(EVENTS));
    } catch (error) {
      this.subscribers.delete(address);
      sub.disconnect();
      this.options.onError(error);
    }
  }
}
