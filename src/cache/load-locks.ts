import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CacheKey } from './cache-key.ts';
import type { CacheStack } from './cache-stack.ts';
import { hitLookup, type Lookup } from './lookup.ts';

export interface LockOptions {
  /** How long a cross-instance load lock lives: an upper bound on one load. */
  lockTtlMs: number;
  /** How long an instance that lost the lock waits for the winner's value before loading itself. */
  lockWaitMs: number;
  lockPollMs: number;
}

export type LockOutcome<T> = { kind: 'value'; lookup: Lookup<T> } | { kind: 'load'; token?: string; version?: string };

/**
 * Across instances only one loads a cold key: the others wait for its value in L2, and load
 * themselves only if it does not come within lockWaitMs (a crashed or slow winner). Waits run
 * on real time (they bound a caller's latency); freshness is judged on the cache's clock.
 */
export class LoadLocks {
  constructor(
    private readonly stack: CacheStack,
    private readonly options: LockOptions,
  ) {}

  async acquireOrWait<T>(key: CacheKey, startSeq: number): Promise<LockOutcome<T>> {
    const l2 = this.stack.l2!;
    const token = randomUUID();
    if (await l2.tryLock(key.full, token, this.options.lockTtlMs)) return { kind: 'load', token };
    const waitStart = performance.now();
    const waited = (): void =>
      this.stack.observer.semantics?.lockWait(key.prefix, (performance.now() - waitStart) / 1e3);
    const deadline = Date.now() + this.options.lockWaitMs;
    let version: string | undefined;
    while (Date.now() < deadline) {
      await sleep(this.options.lockPollMs);
      const found = await this.stack.readL2<T>(key);
      version = found.version;
      const now = this.stack.now();
      if (found.entry && now < found.entry.freshUntil) {
        waited();
        this.stack.observer.coalesced(key.prefix);
        return {
          kind: 'value',
          lookup: hitLookup(found.entry, 'l2', now, this.stack.fillL1(key, found.entry, startSeq)),
        };
      }
      // The winner finished without leaving a value (its write lost to an invalidation): load now.
      if (await l2.tryLock(key.full, token, this.options.lockTtlMs)) {
        // Double-checked: the winner may have written and released between our read and our lock.
        const recheck = await this.stack.readL2<T>(key);
        const at = this.stack.now();
        waited();
        if (recheck.entry && at < recheck.entry.freshUntil) {
          void this.release(key, token);
          this.stack.observer.coalesced(key.prefix);
          return {
            kind: 'value',
            lookup: hitLookup(recheck.entry, 'l2', at, this.stack.fillL1(key, recheck.entry, startSeq)),
          };
        }
        this.stack.observer.semantics?.lockTakeover(key.prefix);
        return { kind: 'load', token, version: recheck.version };
      }
    }
    waited();
    this.stack.observer.semantics?.lockTakeover(key.prefix);
    return version === undefined ? { kind: 'load' } : { kind: 'load', version };
  }

  async release(key: CacheKey, token: string): Promise<void> {
    try {
      await this.stack.l2?.releaseLock(key.full, token);
    } catch {
      // The lock expires by itself after lockTtlMs; failing to release it early only delays others.
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
