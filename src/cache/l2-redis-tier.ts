import calculateSlot from 'cluster-key-slot';
import type { Cluster, Result } from 'ioredis';
import { RedisKeyspace } from './cache-key.ts';
import { classifyRedisError, L2Error } from './errors.ts';
import { GuardedCalls } from './guarded-calls.ts';
import { INVALIDATE_KEY, RELEASE_LOCK, SET_IF_VERSION } from './redis-scripts.ts';
import { isClusterRedirect, nodeKey, SlotOwners } from './slot-owners.ts';
import type { CacheObserver, CircuitState } from './types.ts';
import { withTimeout } from './with-timeout.ts';

export interface L2Options {
  timeoutMs: number;
  breakerFailureThreshold: number;
  breakerOpenMs: number;
  /** Lifetime of per-key version counters: longer than any load can take. */
  versionTtlMs: number;
}

export interface L2Read {
  raw: string | null;
  /** The key's version counter as read with the value ('' when the key was never invalidated). */
  version: string;
}

// The scripts registered with defineCommand below, typed the way ioredis documents for custom commands.
declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsSetIfVersion(
      value: string,
      version: string,
      expected: string,
      payload: string,
      ttlMs: number,
    ): Result<number, Context>;
    fsInvalidateKey(value: string, version: string, versionTtlMs: number): Result<number, Context>;
    fsReleaseLock(lock: string, token: string): Result<number, Context>;
  }
}

/**
 * The Redis Cluster tier. Every call has a timeout, goes through the circuit breaker and is
 * classified when it fails (guarded-calls.ts); callers get a typed error and decide (they fall
 * back to the database).
 */
export class L2RedisTier {
  readonly keys: RedisKeyspace;
  private readonly owners: SlotOwners;
  private readonly guard: GuardedCalls;
  private prober: NodeJS.Timeout | undefined;
  /** When publishing through a node last failed, so the next message tries the others first. */
  private readonly publishFailures = new Map<string, number>();

  constructor(
    readonly client: Cluster,
    namespace: string,
    private readonly options: L2Options,
    private readonly observer: CacheObserver,
  ) {
    this.keys = new RedisKeyspace(namespace);
    this.owners = new SlotOwners(client);
    this.guard = new GuardedCalls(options, observer);
    client.defineCommand('fsSetIfVersion', { numberOfKeys: 2, lua: SET_IF_VERSION });
    client.defineCommand('fsInvalidateKey', { numberOfKeys: 2, lua: INVALIDATE_KEY });
    client.defineCommand('fsReleaseLock', { numberOfKeys: 1, lua: RELEASE_LOCK });
  }

  get circuitState(): CircuitState {
    return this.guard.state;
  }

  /** Whether a call would be attempted now (false while the circuit is open). */
  get available(): boolean {
    return this.guard.state !== 'open';
  }

  status(): { circuit: CircuitState; clusterStatus: string; lastError?: { at: string; message: string } } {
    const lastError = this.guard.lastFailure;
    return { circuit: this.guard.state, clusterStatus: this.client.status, ...(lastError ? { lastError } : {}) };
  }

  /** Told of every circuit transition: the cache replays pending invalidations on close, the service logs. */
  onCircuitChange(listener: (state: CircuitState, previous: CircuitState) => void): void {
    this.guard.onCircuitChange(listener);
  }

  read(full: string): Promise<L2Read> {
    return this.guard.shaped('get', () => this.mgetSlot([this.keys.value(full), this.keys.version(full)]), toL2Read);
  }

  /** Keys of one slot from the slot owner's connection; the cluster's way when that is not plain. */
  private mgetSlot(keys: string[]): Promise<(string | null)[]> {
    const owner = this.owners.ownerOf(keys[0]!);
    if (owner === undefined) return this.client.mget(keys);
    return owner
      .mget(keys)
      .catch((error: unknown) => (isClusterRedirect(error) ? this.client.mget(keys) : Promise.reject(error)));
  }

  /**
   * Many entries with their versions in one round trip per node: keys are grouped by slot (a
   * value and its version share one), one MGET per slot to the slot's owner, and each node's
   * auto-pipelining sends its slots' MGETs together.
   */
  async readMany(fulls: readonly string[]): Promise<L2Read[]> {
    const bySlot = new Map<number, number[]>();
    fulls.forEach((full, i) => {
      const slot = calculateSlot(this.keys.value(full));
      const group = bySlot.get(slot);
      if (group) group.push(i);
      else bySlot.set(slot, [i]);
    });
    const out: L2Read[] = fulls.map(() => ({ raw: null, version: '' }));
    await this.guard.call('get', () =>
      Promise.all(
        [...bySlot.values()].map(async (indexes) => {
          const values = await this.mgetSlot(
            indexes.flatMap((i) => [this.keys.value(fulls[i]!), this.keys.version(fulls[i]!)]),
          );
          indexes.forEach((index, j) => {
            out[index] = { raw: values[2 * j] ?? null, version: values[2 * j + 1] ?? '' };
          });
        }),
      ),
    );
    return out;
  }

  async writeIfVersion(full: string, payload: string, ttlMs: number, expectedVersion: string): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const written = await this.guard.call('set', () =>
      this.client.fsSetIfVersion(this.keys.value(full), this.keys.version(full), expectedVersion, payload, ttl),
    );
    return written === 1;
  }

  async invalidate(fulls: readonly string[]): Promise<void> {
    await this.guard.call('delete', () =>
      Promise.all(
        fulls.map((f) =>
          this.client.fsInvalidateKey(this.keys.value(f), this.keys.version(f), this.options.versionTtlMs),
        ),
      ),
    );
  }

  async bumpTags(tags: readonly string[]): Promise<number[]> {
    return this.guard.call('tag', () => Promise.all(tags.map((t) => this.client.incr(this.keys.tag(t)))));
  }

  async readTags(tags: readonly string[]): Promise<number[]> {
    const values = await this.guard.call('tag', () => Promise.all(tags.map((t) => this.client.get(this.keys.tag(t)))));
    return values.map((v) => (v === null ? 0 : Number(v)));
  }

  async tryLock(full: string, token: string, ttlMs: number): Promise<boolean> {
    const result = await this.guard.call('lock', () => this.client.set(this.keys.lock(full), token, 'PX', ttlMs, 'NX'));
    return result === 'OK';
  }

  async releaseLock(full: string, token: string): Promise<void> {
    await this.guard.call('lock', () => this.client.fsReleaseLock(this.keys.lock(full), token));
  }

  /**
   * PUBLISH reaches every node of a Redis Cluster whichever node takes it, so a message does not
   * depend on any one node: each node is tried in turn (those that failed lately last), each
   * within the timeout. It bypasses the circuit breaker, which one paused master can open for
   * the whole cluster, while the other nodes would pass the message on.
   */
  async publish(message: string): Promise<void> {
    const nodes = [...this.client.nodes('all')].sort(
      (x, y) => (this.publishFailures.get(nodeKey(x)) ?? 0) - (this.publishFailures.get(nodeKey(y)) ?? 0),
    );
    let lastError: unknown = new Error('no Redis node known');
    for (const node of nodes.slice(0, 3)) {
      try {
        await withTimeout(node.publish(this.keys.channel(), message), this.options.timeoutMs);
        this.publishFailures.delete(nodeKey(node));
        return;
      } catch (error) {
        lastError = error;
        this.publishFailures.set(nodeKey(node), Date.now());
        this.observer.l2Error('publish', classifyRedisError(error));
      }
    }
    // No node took it: the cluster as a whole is out of reach, which is what the breaker is for
    // (with no traffic, the bus's heartbeats are what opens the circuit and marks readiness degraded).
    this.guard.failure();
    throw new L2Error('publish', classifyRedisError(lastError), lastError);
  }

  async pttl(full: string): Promise<number> {
    return this.guard.call('get', () => this.client.pttl(this.keys.value(full)));
  }

  async strlen(full: string): Promise<number> {
    return this.guard.call('get', () => this.client.strlen(this.keys.value(full)));
  }

  /** Which master serves a key's slot now, for the admin inspect route. */
  slotOwner(full: string): { slot: number; node?: string } {
    const key = this.keys.value(full);
    const slot = calculateSlot(key);
    const owner = this.client.slots[slot]?.[0];
    return owner ? { slot, node: owner } : { slot };
  }

  /** A cheap round trip; the background prober uses it to close the circuit without waiting for traffic. */
  async ping(): Promise<void> {
    await this.guard.call('ping', () => this.client.ping());
  }

  /**
   * While the circuit is not closed, ping Redis on a timer, so the tier heals by itself even
   * when no request arrives to probe it.
   */
  startProbing(): void {
    if (this.prober) return;
    this.prober = setInterval(() => {
      if (this.guard.state === 'closed') return;
      this.ping().catch(() => {
        // Already counted and remembered by call(); the next tick tries again.
      });
    }, this.options.breakerOpenMs);
    this.prober.unref();
  }

  stopProbing(): void {
    if (this.prober) clearInterval(this.prober);
    this.prober = undefined;
  }
}

function toL2Read(values: (string | null)[]): L2Read {
  return { raw: values[0] ?? null, version: values[1] ?? '' };
}
