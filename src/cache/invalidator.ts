import { performance } from 'node:perf_hooks';
import { prefixNameOf } from './cache-key.ts';
import { type CacheStack, isL2Failure } from './cache-stack.ts';
import type { InvalidationBus, InvalidationMessage } from './invalidation-bus.ts';
import { PendingInvalidations } from './pending-invalidations.ts';
import { prefixTag } from './tag-versions.ts';

export interface InvalidationTarget {
  keys?: readonly { readonly full: string }[];
  tags?: readonly string[];
  prefixes?: readonly string[];
}

/**
 * Drops what a write made stale, here, in L2 and (through the bus) in every other instance's L1.
 * The bus message goes out even when L2 could not be cleaned (a paused or dead master): other
 * instances drop their copies at once and refuse the L2 entry that is left, until a replay of
 * the delete goes through.
 */
export class Invalidator {
  private bus: InvalidationBus | undefined;
  private readonly pending: PendingInvalidations;
  private replayTimer: NodeJS.Timeout | undefined;
  private replayDelayMs = 0;
  private closed = false;

  constructor(
    private readonly stack: CacheStack,
    /** Lookups and loads that began before an invalidation must not be joined after it. */
    private readonly forget: (fulls: readonly string[], tagNames: readonly string[]) => void,
    maxPending: number,
  ) {
    this.pending = new PendingInvalidations(maxPending);
    stack.l2?.onCircuitChange((state) => {
      if (state === 'closed') void this.replay();
    });
  }

  attachBus(bus: InvalidationBus): void {
    this.bus = bus;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Returns once L2 is cleaned (or the attempt failed and was queued) and the message sent. */
  async invalidate(target: InvalidationTarget): Promise<void> {
    const { stack } = this;
    const fulls = (target.keys ?? []).map((k) => k.full);
    const tagNames = [
      ...(target.tags ?? []),
      ...(target.prefixes ?? []).map((p) => prefixTag(stack.registry.get(p).name)),
    ];
    this.forget(fulls, tagNames);
    for (const full of fulls) {
      stack.l1.delete(full, 'invalidated');
      stack.recent.mark(full);
      stack.observer.invalidation(stack.prefixOfName(prefixNameOf(full)), 'local');
    }
    for (const name of tagNames) {
      stack.tags.state(name).version++;
      stack.observer.invalidation(stack.prefixOfName(prefixNameOf(name)), 'local');
    }
    if (!stack.l2) return;
    await this.push(fulls, tagNames, stack.now());
    // A lookup that read L2 between our first mark and the delete must not fill L1 either.
    for (const full of fulls) stack.recent.mark(full);
  }

  /** The hook for the invalidation bus. */
  handleRemote(message: InvalidationMessage): void {
    const { stack } = this;
    this.forget(
      message.keys,
      message.tags.map(([name]) => name),
    );
    for (const full of message.keys) {
      stack.l1.delete(full, 'invalidated');
      stack.recent.mark(full);
      if (message.unconfirmed) stack.unconfirmed.mark(full, message.sentAt ?? stack.now());
      else stack.unconfirmed.confirm(full);
      stack.observer.invalidation(stack.prefixOfName(prefixNameOf(full)), 'remote');
    }
    for (const [tag, version] of message.tags) {
      stack.tags.advance(tag, version);
      stack.observer.invalidation(stack.prefixOfName(prefixNameOf(tag)), 'remote');
    }
    if (message.sentAt !== undefined)
      stack.observer.semantics?.invalidationLag(Math.max(0, stack.now() - message.sentAt) / 1e3);
  }

  /** The bus may have lost messages: nothing in L1 can be trusted, and tag versions must be read again. */
  handleGap(): void {
    this.stack.recent.markAll();
    // Not trusted any more, but kept aside as a last resort for when the loader and L2 both fail (gap-kept-entries.ts).
    this.stack.gapKept.keep(this.stack.l1.held(), this.stack.now());
    this.stack.l1.clear();
    if (this.stack.l2) this.stack.tags.markAllUnsynced();
  }

  /**
   * Deletes and tag bumps first, then the message, sent whatever they did; whatever failed is
   * queued and replayed (with a new message) once it goes through.
   */
  private async push(fulls: readonly string[], tagNames: readonly string[], at: number): Promise<void> {
    const { stack } = this;
    const l2 = stack.l2!;
    let failed: unknown;
    let deleted = fulls.length === 0;
    const t0 = performance.now();
    if (fulls.length > 0) {
      try {
        await l2.invalidate(fulls);
        deleted = true;
      } catch (error) {
        if (!isL2Failure(error)) throw error;
        failed = error;
      }
      // Every key of the batch waited for the whole batch.
      const seconds = (performance.now() - t0) / 1e3;
      for (const full of fulls)
        stack.observer.operation(stack.prefixOfName(prefixNameOf(full)), 'l2', 'delete', seconds);
    }
    let versions: number[] = [];
    if (tagNames.length > 0) {
      try {
        versions = await l2.bumpTags(tagNames);
      } catch (error) {
        if (!isL2Failure(error)) throw error;
        failed = error;
      }
    }
    const tags: [string, number][] = tagNames.map((name, i) => {
      stack.tags.advance(name, versions[i] ?? 0);
      return [name, stack.tags.state(name).version];
    });
    for (const full of fulls) {
      if (deleted) stack.unconfirmed.confirm(full);
      else stack.unconfirmed.mark(full, at);
    }
    let sent = this.bus === undefined;
    if (this.bus) {
      try {
        await this.bus.send({ keys: [...fulls], tags, sentAt: at, unconfirmed: !deleted });
        sent = true;
      } catch (error) {
        if (!isL2Failure(error)) throw error;
        failed = error;
      }
    }
    if (failed !== undefined || !sent) {
      this.pending.add(fulls, tagNames);
      this.scheduleReplay();
    } else {
      this.replayDelayMs = 0;
    }
  }

  /**
   * Redis is back: what we could not tell it during the outage is told now. If too much was
   * lost to remember, the global tag is bumped, which makes every entry everywhere stale.
   */
  private async replay(): Promise<void> {
    if (this.closed) return;
    const taken = this.pending.take();
    if (!taken) return;
    await this.push(taken.keys, taken.tags, this.stack.now());
  }

  /**
   * One failed call (a timeout under load) must not leave other instances stale until the
   * next outage ends: pending invalidations are retried with backoff until they go through.
   */
  private scheduleReplay(): void {
    if (this.replayTimer || this.closed) return;
    this.replayDelayMs = Math.min(1_000, Math.max(25, this.replayDelayMs * 2));
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      void this.replay();
    }, this.replayDelayMs);
    this.replayTimer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.replayTimer) clearTimeout(this.replayTimer);
    this.replayTimer = undefined;
  }
}
