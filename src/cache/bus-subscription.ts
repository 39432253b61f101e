import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';

/** A cluster node as the bus reaches it: its address (NAT-mapped already) and credentials. */
export interface BusNode {
  host: string;
  port: number;
  username?: string | undefined;
  password?: string | undefined;
  tls?: ConnectionOptions | undefined;
}

export interface BusSubscriptionHandlers {
  message(raw: string, from: BusSubscription): void;
  /** SUBSCRIBE went through: from now on this connection hears every PUBLISH in the cluster. */
  subscribed(from: BusSubscription): void;
  /** The connection is gone (closed, refused, or closed by the bus); it never comes back by itself. */
  ended(from: BusSubscription): void;
  error(error: unknown, from: BusSubscription): void;
}

export function nodeAddress(node: { host: string; port: number }): string {
  return `${node.host}:${node.port}`;
}

/**
 * One SUBSCRIBE connection to one node of the cluster. It never reconnects: when it ends, or its
 * node stops passing the heartbeat on, the bus opens a new one, on another node if it can, so a
 * node that is paused or gone never holds the bus on its own.
 */
export class BusSubscription {
  readonly node: string;
  /** When it was opened and when it last heard this instance's heartbeat (ms, Date.now). */
  readonly openedAt: number;
  lastHeartbeatAt = 0;
  private over = false;
  private readonly connection: Redis;

  constructor(
    target: BusNode,
    channel: string,
    connectionName: string,
    connectTimeoutMs: number,
    private readonly handlers: BusSubscriptionHandlers,
  ) {
    this.node = nodeAddress(target);
    this.openedAt = Date.now();
    this.connection = new Redis({
      host: target.host,
      port: target.port,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: target.tls } : {}),
      // Named, so an operator (or a test) can find the bus's connections in CLIENT LIST.
      connectionName,
      lazyConnect: true,
      enableReadyCheck: true,
      connectTimeout: connectTimeoutMs,
      commandTimeout: Math.max(connectTimeoutMs, 1_000),
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
      autoResubscribe: false,
    });
    this.connection.on('error', (error: unknown) => handlers.error(error, this));
    this.connection.on('message', (from: string, raw: string) => {
      if (from === channel && !this.over) handlers.message(raw, this);
    });
    this.connection.once('end', () => this.finish());
    this.connection
      .connect()
      .then(() => this.connection.subscribe(channel))
      .then(() => {
        if (!this.over) handlers.subscribed(this);
      })
      .catch((error: unknown) => {
        handlers.error(error, this);
        this.close();
      });
  }

  get ended(): boolean {
    return this.over;
  }

  /** Whether it heard a heartbeat within the last `silenceMs`: messages sent meanwhile reached us through it. */
  live(now: number, silenceMs: number): boolean {
    return !this.over && this.lastHeartbeatAt > 0 && now - this.lastHeartbeatAt <= silenceMs;
  }

  close(): void {
    this.connection.disconnect();
    this.finish();
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.handlers.ended(this);
  }
}
