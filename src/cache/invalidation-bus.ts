import type { Cluster } from 'ioredis';
import { z } from 'zod';

/** What one instance tells the others: keys to drop and tag versions to move to. */
export interface InvalidationMessage {
  keys: string[];
  tags: [string, number][];
  /** When the sender sent it (its cache clock, ms): receivers measure the lag and date unconfirmed deletes. */
  sentAt?: number;
  /** The keys' L2 deletes did not go through: L2 entries loaded before sentAt must not be served. */
  unconfirmed?: boolean;
}

const MAX_MESSAGE_BYTES = 256 * 1024;

const wireSchema = z.object({
  o: z.string().max(64),
  k: z.array(z.string().max(512)).max(10_000),
  t: z.array(z.tuple([z.string().max(512), z.number().int().nonnegative()])).max(10_000),
  hb: z.boolean().optional(),
  s: z.number().nonnegative().optional(),
  u: z.boolean().optional(),
});

export interface InvalidationBusOptions {
  channel: string;
  instanceId: string;
  /** How often this instance sends itself a heartbeat through Redis. */
  heartbeatMs: number;
  onMessage: (message: InvalidationMessage) => void;
  /**
   * Called when the bus is healthy again after a period in which messages may have been lost;
   * the cache must then assume its L1 is stale.
   */
  onGap: () => void;
  /** The heartbeat stopped coming back: messages may be being lost now. */
  onSilence?: () => void;
  onError: (error: unknown) => void;
}

/**
 * Pub/sub over the Redis Cluster (PUBLISH is broadcast to every node, so a subscriber on any
 * node hears all). A heartbeat that this instance publishes to itself proves the path end to
 * end: if it stops coming back, messages may have been lost, whatever the client's state says.
 */
export class InvalidationBus {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastHeartbeatAt = Date.now();
  /** Nothing is proven until the first heartbeat comes back. */
  private inGap = true;
  private everHealthy = false;
  private gapsSeen = 0;
  private started = false;

  constructor(
    private readonly subscriber: Cluster,
    private readonly publish: (message: string) => Promise<void>,
    private readonly options: InvalidationBusOptions,
  ) {}

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel === this.options.channel) this.receive(raw);
    });
    this.subscriber.on('ready', () => this.subscribe());
    // The subscription itself may have dropped: whatever was published meanwhile is lost.
    for (const event of ['close', 'end', 'reconnecting', '-node']) this.subscriber.on(event, () => this.enterGap());
    this.subscribe();
    this.heartbeatTimer = setInterval(() => this.beat(), this.options.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  get healthy(): boolean {
    return !this.inGap;
  }

  status(): { healthy: boolean; lastHeartbeatAgoMs: number; gaps: number } {
    return { healthy: !this.inGap, lastHeartbeatAgoMs: Date.now() - this.lastHeartbeatAt, gaps: this.gapsSeen };
  }

  async send(message: InvalidationMessage): Promise<void> {
    const raw = JSON.stringify({
      o: this.options.instanceId,
      k: message.keys,
      t: message.tags,
      ...(message.sentAt !== undefined ? { s: message.sentAt } : {}),
      ...(message.unconfirmed ? { u: true } : {}),
    });
    await this.publish(raw);
  }

  async stop(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.started = false;
    for (const event of ['message', 'ready', 'close', 'end', 'reconnecting', '-node'])
      this.subscriber.removeAllListeners(event);
  }

  private enterGap(): void {
    if (this.inGap || !this.started) return;
    this.inGap = true;
    this.gapsSeen++;
  }

  private subscribe(): void {
    if (this.subscriber.status !== 'ready') return;
    this.subscriber.subscribe(this.options.channel).catch((error: unknown) => this.options.onError(error));
  }

  private beat(): void {
    const silentFor = Date.now() - this.lastHeartbeatAt;
    if (silentFor > this.options.heartbeatMs * 3 && !this.inGap) {
      this.enterGap();
      // Our own messages stopped coming back (the node our subscription sits on may be paused):
      // invalidations may be passing us by right now, so L1 is dropped at once, not only when the bus heals.
      this.options.onSilence?.();
    }
    const raw = JSON.stringify({ o: this.options.instanceId, k: [], t: [], hb: true });
    this.publish(raw).catch(() => {
      // A failed heartbeat is exactly what the silence check above detects.
    });
  }

  private receive(raw: string): void {
    if (raw.length > MAX_MESSAGE_BYTES) {
      this.options.onError(new Error(`invalidation message of ${raw.length} bytes ignored`));
      return;
    }
    let parsed: z.infer<typeof wireSchema>;
    try {
      parsed = wireSchema.parse(JSON.parse(raw));
    } catch (error) {
      this.options.onError(error);
      return;
    }
    if (parsed.o !== this.options.instanceId) {
      if (parsed.k.length > 0 || parsed.t.length > 0)
        this.options.onMessage({
          keys: parsed.k,
          tags: parsed.t,
          ...(parsed.s !== undefined ? { sentAt: parsed.s } : {}),
          ...(parsed.u ? { unconfirmed: true } : {}),
        });
      return;
    }
    if (parsed.hb) {
      this.lastHeartbeatAt = Date.now();
      if (this.inGap) {
        this.inGap = false;
        // The first heartbeat ends start-up, not a gap: nothing could have been missed before it.
        if (this.everHealthy) this.options.onGap();
        this.everHealthy = true;
      }
    }
  }
}
