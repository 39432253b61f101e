import { performance } from 'node:perf_hooks';
import type { CacheKey } from './cache-key.ts';
import { type CacheStack, isL2Failure } from './cache-stack.ts';
import { LoaderError, LoaderTimeoutError } from './errors.ts';
import { JoinableWork } from './joinable-work.ts';
import type { LoadLocks } from './load-locks.ts';
import { type Fallback, type Lookup, staleLookup } from './lookup.ts';
import { stampsAreCurrent, type TagState } from './tag-versions.ts';
import type { LookupTrace, RefreshReason } from './types.ts';

export interface LoadContext<T> {
  key: CacheKey;
  loader: () => Promise<T>;
  tagStates: readonly TagState[];
  /** The recent-invalidations mark taken when the lookup started. */
  startSeq: number;
  /** The key's version as read with L2; undefined when L2 could not be read (then nothing is written there). */
  version: string | undefined;
  l2State: Lookup<T>['l2'];
  /** Set for background refreshes, which are counted by reason and result. */
  reason?: RefreshReason;
}

type Settled<T> = { kind: 'value'; value: Lookup<T> } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

/**
 * Runs the loader: at most one load per key at a time in this instance (later callers join the
 * running one, even after theirs timed out), behind the cross-instance lock, and written back to
 * both tiers. Callers wait within the prefix's soft and hard timeouts; the load itself goes on
 * and stores its value whenever it ends.
 */
export class LoadRunner {
  private readonly running = new JoinableWork<Promise<Lookup<unknown>>>();

  constructor(
    private readonly stack: CacheStack,
    private readonly locks: LoadLocks,
  ) {}

  get size(): number {
    return this.running.size;
  }

  isRunning(full: string): boolean {
    return this.running.has(full);
  }

  /** A load that began before an invalidation covering its key may finish, but no lookup may join it any more. */
  forget(fulls: readonly string[], tagNames: readonly string[]): void {
    this.running.forget(fulls, tagNames);
  }

  run<T>(ctx: LoadContext<T>, fallback: Fallback<T> | undefined, trace: LookupTrace | undefined): Promise<Lookup<T>> {
    const { full } = ctx.key;
    let shared = this.running.get(full) as Promise<Lookup<T>> | undefined;
    if (shared === undefined) {
      const started: Promise<Lookup<T>> = this.acquireAndLoad(ctx, trace).finally(() =>
        this.running.release(full, started),
      );
      const semantics = this.stack.observer.semantics;
      const reason = ctx.reason;
      if (reason && semantics)
        started.then(
          (l) => semantics.refresh(ctx.key.prefix, reason, !l.stale),
          () => semantics.refresh(ctx.key.prefix, reason, false),
        );
      else started.catch(() => undefined); // whoever waits sees the error; a caller that timed out no longer waits
      this.running.set(full, started, ctx.tagStates);
      shared = started;
    }
    return this.within(shared, ctx, fallback, trace);
  }

  private async within<T>(
    shared: Promise<Lookup<T>>,
    ctx: LoadContext<T>,
    fallback: Fallback<T> | undefined,
    trace: LookupTrace | undefined,
  ): Promise<Lookup<T>> {
    const { prefix } = ctx.key;
    const soft = fallback !== undefined ? prefix.softTimeoutMs : undefined;
    const hard = prefix.hardTimeoutMs;
    let outcome: Settled<T> | undefined;
    if (soft !== undefined) {
      outcome = await settleWithin(shared, soft);
      if (outcome.kind === 'timeout' && this.usable(fallback)) return this.stale(ctx, fallback, trace, 'soft');
    }
    if (outcome === undefined || outcome.kind === 'timeout')
      outcome = await settleWithin(shared, hard === undefined ? undefined : hard - (soft ?? 0));
    if (outcome.kind === 'value') return outcome.value;
    if (outcome.kind === 'timeout') {
      this.stack.observer.semantics?.loaderTimeout(prefix, 'hard');
      if (this.usable(fallback)) return this.stale(ctx, fallback, trace, 'hard');
      throw new LoaderTimeoutError(ctx.key.full, hard ?? 0);
    }
    // Fail-safe: an old answer beats an error while the source of truth is down.
    if (this.usable(fallback)) return this.stale(ctx, fallback, trace);
    throw outcome.error;
  }

  private usable<T>(fallback: Fallback<T> | undefined): fallback is Fallback<T> {
    return (
      fallback !== undefined && this.stack.now() < fallback.entry.staleUntil && stampsAreCurrent(fallback.entry.tags)
    );
  }

  private stale<T>(
    ctx: LoadContext<T>,
    fallback: Fallback<T>,
    trace: LookupTrace | undefined,
    timeout?: 'soft' | 'hard',
  ): Lookup<T> {
    const now = this.stack.now();
    if (timeout === 'soft') this.stack.observer.semantics?.loaderTimeout(ctx.key.prefix, 'soft');
    this.stack.staleServed(ctx.key.prefix, fallback.entry, now);
    trace?.tierReached(fallback.source, 'stale');
    return staleLookup(fallback, now, ctx.l2State, timeout);
  }

  private async acquireAndLoad<T>(ctx: LoadContext<T>, trace: LookupTrace | undefined): Promise<Lookup<T>> {
    const { key } = ctx;
    const { prefix } = key;
    const stack = this.stack;
    let version = ctx.version;
    let token: string | undefined;
    if (version !== undefined && stack.l2) {
      try {
        const waited = await this.locks.acquireOrWait<T>(key, ctx.startSeq);
        if (waited.kind === 'value') {
          trace?.tierReached('l2', 'hit');
          return waited.lookup;
        }
        token = waited.token;
        if (waited.version !== undefined) version = waited.version;
      } catch (error) {
        if (!isL2Failure(error)) throw error;
        version = undefined;
      }
    }
    const loadedAt = stack.now();
    const stamps = stack.tags.stamp(ctx.tagStates);
    const t0 = performance.now();
    let value: T;
    try {
      value = await stack.observer.traceLoad(prefix, ctx.loader);
      stack.observer.load(prefix, true, (performance.now() - t0) / 1e3);
    } catch (error) {
      stack.observer.load(prefix, false, (performance.now() - t0) / 1e3);
      if (token) void this.locks.release(key, token);
      throw new LoaderError(key.full, error);
    }
    trace?.tierReached('origin', 'miss');
    const { entry, serialized } = stack.makeEntry(prefix, value, stamps, loadedAt);
    let storedL2 = false;
    let mayFillL1 = true;
    if (stack.l2 && version !== undefined) {
      const outcome = await stack.storeL2(key, serialized, entry, version);
      storedL2 = outcome === 'stored';
      mayFillL1 = outcome !== 'rejected';
    }
    if (token) void this.locks.release(key, token);
    const storedL1 = mayFillL1 && stack.fillL1(key, entry, ctx.startSeq);
    return {
      value,
      source: 'origin',
      stale: false,
      ttlMs: entry.freshUntil - stack.now(),
      l2: ctx.l2State,
      storedL1,
      storedL2,
    };
  }
}

/** The promise's outcome, or `timeout` once `ms` of real time have passed (never, when ms is undefined). */
function settleWithin<T>(promise: Promise<Lookup<T>>, ms: number | undefined): Promise<Settled<T>> {
  const settled = promise.then(
    (value): Settled<T> => ({ kind: 'value', value }),
    (error: unknown): Settled<T> => ({ kind: 'error', error }),
  );
  if (ms === undefined) return settled;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), Math.max(0, ms));
  });
  return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
}
