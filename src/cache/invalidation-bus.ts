import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { chooseBusNode } from './bus-node-choice.ts';
import { type BusNode, BusSubscription } from './bus-subscription.ts';
import { RecentMessageIds } from './recent-message-ids.ts';

export type { BusNode } from './bus-subscription.ts';

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
/** The first start-up beat after the bus starts; each next one waits twice as long. */
const STARTUP_BEAT_FIRST_MS = 100;

const wireSchema = z.object({
  o: z.string().max(64),
  /** The message's id (the sender's run, then a sequence number): one message heard twice is applied once. */
  n: z.string().max(64).optional(),
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
  /** How many nodes hold a subscription at once; 2 by default. */
  subscriptions?: number;
  connectTimeoutMs: number;
  onMessage: (message: InvalidationMessage) => void;
  /**
   * Called when the bus is healthy again after a period in which messages may have been lost;
   * the cache must then assume its L1 is stale.
   */
  onGap: () => void;
  /** No subscription is known to hear the bus any more: messages may be being lost now. */
  onSilence?: () => void;
  onError: (error: unknown) => void;
  /** One subscription's trouble (a refused connection, a node gone silent): worth a debug line, no more. */
  onSubscriptionTrouble?: (node: string, reason: 'ended' | 'silent' | 'error', error?: unknown) => void;
}

export interface BusStatus {
  healthy: boolean;
  lastHeartbeatAgoMs: number;
  gaps: number;
  subscriptions: { node: string; live: boolean; lastHeartbeatAgoMs: number | null }[];
}

/**
 * Pub/sub over the Redis Cluster. PUBLISH is broadcast to every node, so a subscriber on any
 * node hears everything; this bus keeps two subscriptions, on two different nodes, so one paused
 * or lost node does not make an instance deaf (messages heard twice are applied once). A
 * heartbeat this instance publishes to itself proves each subscription end to end: one that
 * stops hearing it for three beats is moved to another node. Only when no subscription hears it
 * may messages be lost: L1 is dropped at once, and again when the bus heals.
 */
export class InvalidationBus {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private startupBeatTimer: NodeJS.Timeout | undefined;
  private lastHeartbeatAt = Date.now();
  /** Nothing is proven until the first heartbeat comes back. */
  private inGap = true;
  private everHealthy = false;
  private gapsSeen = 0;
  private started = false;
  private sequence = 0;
  /** Sequence numbers restart with the process; this run's own prefix keeps ids unique even if instance ids repeat. */
  private readonly run = randomUUID().slice(0, 8);
  private readonly subs: BusSubscription[] = [];
  /** When a subscription on a node last ended or went silent: the next ones go elsewhere first. */
  private readonly troubleAt = new Map<string, number>();
  private readonly applied = new RecentMessageIds(10_000);
  private readonly wanted: number;
  private readonly silenceMs: number;

  constructor(
    /** The cluster's nodes as the client knows them now. */
    private readonly nodes: () => readonly BusNode[],
    private readonly publish: (message: string) => Promise<void>,
    private readonly options: InvalidationBusOptions,
  ) {
    this.wanted = Math.max(1, options.subscriptions ?? 2);
    this.silenceMs = options.heartbeatMs * 3;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.topUp(true);
    this.heartbeatTimer = setInterval(() => this.tick(), this.options.heartbeatMs);
    this.heartbeatTimer.unref();
    this.beatAgainAtStartUp(STARTUP_BEAT_FIRST_MS);
  }

  /**
   * The first beats race the cluster client's own start: sent before it knows its nodes, or
   * while it swaps its first connections, they fail, and the next tick is a whole heartbeat away
   * (a minute if so configured), and so is the retry of a subscription refused meanwhile. Until
   * the first heartbeat comes back the bus ticks early, at 0.1 s, 0.3 s, 0.7 s… after it started,
   * for as long as the next one is sooner than the regular tick. (No subscription can be silent
   * yet, nor the bus go into a gap it is already in: an early tick reopens and beats, no more.)
   */
  private beatAgainAtStartUp(delayMs: number): void {
    if (delayMs >= this.options.heartbeatMs) return;
    this.startupBeatTimer = setTimeout(() => {
      this.startupBeatTimer = undefined;
      if (!this.started || this.everHealthy) return;
      this.tick();
      this.beatAgainAtStartUp(delayMs * 2);
    }, delayMs);
    this.startupBeatTimer.unref();
  }

  /** The client learned the cluster's nodes (ready, a node added): subscriptions missing are opened now. */
  nodesChanged(): void {
    if (this.started) this.topUp(false);
  }

  get healthy(): boolean {
    return !this.inGap;
  }

  status(): BusStatus {
    const now = Date.now();
    return {
      healthy: !this.inGap,
      lastHeartbeatAgoMs: now - this.lastHeartbeatAt,
      gaps: this.gapsSeen,
      subscriptions: this.subs.map((s) => ({
        node: s.node,
        live: s.live(now, this.silenceMs),
        lastHeartbeatAgoMs: s.lastHeartbeatAt > 0 ? now - s.lastHeartbeatAt : null,
      })),
    };
  }

  async send(message: InvalidationMessage): Promise<void> {
    await this.publish(
      JSON.stringify({
        o: this.options.instanceId,
        n: `${this.run}.${this.sequence++}`,
        k: message.keys,
        t: message.tags,
        ...(message.sentAt !== undefined ? { s: message.sentAt } : {}),
        ...(message.unconfirmed ? { u: true } : {}),
      }),
    );
  }

  async stop(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    clearTimeout(this.startupBeatTimer);
    this.startupBeatTimer = undefined;
    this.started = false;
    for (const sub of this.subs.splice(0)) sub.close();
  }

  private tick(): void {
    const now = Date.now();
    for (const sub of [...this.subs]) {
      if (now - Math.max(sub.lastHeartbeatAt, sub.openedAt) > this.silenceMs) {
        // Our own heartbeats stopped arriving through it (its node may be paused): move it.
        this.options.onSubscriptionTrouble?.(sub.node, 'silent');
        this.drop(sub, now);
      }
    }
    this.topUp(true);
    this.checkHearing(now);
    this.beat();
  }

  /** Opens subscriptions until `wanted` are open; `anyNode` allows nodes that failed lately when nothing else is left. */
  private topUp(anyNode: boolean): void {
    const now = Date.now();
    const candidates = this.nodes();
    while (this.started && this.subs.length < this.wanted) {
      const inUse = this.subs.map((s) => s.node);
      const node =
        chooseBusNode(candidates, inUse, this.troubleAt, now, this.options.heartbeatMs) ??
        (anyNode ? chooseBusNode(candidates, inUse, this.troubleAt, now, 0) : undefined);
      if (!node) return;
      this.subs.push(
        new BusSubscription(node, this.options.channel, 'fs-invalidation-bus', this.options.connectTimeoutMs, {
          message: (raw, from) => this.receive(raw, from),
          // A beat right away: a new subscription proves itself without waiting for the timer.
          subscribed: () => this.beat(),
          ended: (from) => this.ended(from),
          error: (error, from) => this.options.onSubscriptionTrouble?.(from.node, 'error', error),
        }),
      );
    }
  }

  private drop(sub: BusSubscription, now: number): void {
    this.troubleAt.set(sub.node, now);
    const index = this.subs.indexOf(sub);
    if (index >= 0) this.subs.splice(index, 1);
    sub.close();
  }

  private ended(sub: BusSubscription): void {
    if (!this.subs.includes(sub)) return; // closed by the bus itself
    const now = Date.now();
    this.options.onSubscriptionTrouble?.(sub.node, 'ended');
    this.drop(sub, now);
    this.checkHearing(now);
    this.topUp(false);
  }

  /** With no subscription hearing the heartbeat, messages may be passing us by now: L1 goes at once. */
  private checkHearing(now: number): void {
    if (this.inGap || !this.started) return;
    if (this.subs.some((s) => s.live(now, this.silenceMs))) return;
    this.inGap = true;
    this.gapsSeen++;
    this.options.onSilence?.();
  }

  private beat(): void {
    const raw = JSON.stringify({ o: this.options.instanceId, k: [], t: [], hb: true });
    this.publish(raw).catch(() => {
      // A failed heartbeat is exactly what the silence check detects.
    });
  }

  private receive(raw: string, from: BusSubscription): void {
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
    if (parsed.o === this.options.instanceId) {
      if (parsed.hb) this.heard(from);
      return;
    }
    if (parsed.k.length === 0 && parsed.t.length === 0) return;
    if (parsed.n !== undefined && !this.applied.firstSighting(`${parsed.o}/${parsed.n}`)) return;
    this.options.onMessage({
      keys: parsed.k,
      tags: parsed.t,
      ...(parsed.s !== undefined ? { sentAt: parsed.s } : {}),
      ...(parsed.u ? { unconfirmed: true } : {}),
    });
  }

  private heard(from: BusSubscription): void {
    const now = Date.now();
    from.lastHeartbeatAt = now;
    this.lastHeartbeatAt = now;
    if (!this.inGap) return;
    this.inGap = false;
    // The first heartbeat ends start-up, not a gap: nothing could have been missed before it.
    if (this.everHealthy) this.options.onGap();
    this.everHealthy = true;
  }
}
