import type { CacheEntry } from './cache-entry.ts';
import type { CacheKey } from './cache-key.ts';
import { type CacheStack, isL2Failure } from './cache-stack.ts';
import { LoaderError } from './errors.ts';
import { JoinableWork } from './joinable-work.ts';
import type { LoadRunner } from './load-runner.ts';
import { type Fallback, hitLookup, type LoadOptions, type Lookup, staleLookup } from './lookup.ts';
import type { TagState } from './tag-versions.ts';
import type { LookupTrace, RefreshReason } from './types.ts';

interface ReadContext<T> {
  key: CacheKey;
  loader: () => Promise<T>;
  tagStates: readonly TagState[];
  /** A stale entry to fall back on if everything else fails. */
  fallback: Fallback<T> | undefined;
  startSeq: number;
  /** A stale entry was already served to this caller (or this is a refresh): only a load helps. */
  mustLoad: boolean;
  reason?: RefreshReason;
  /** The lookup's own registration in the in-flight map, which a refresh it starts takes over. */
  self?: Promise<Lookup<unknown>>;
}

const MAX_INFLIGHT = 10_000;

/**
 * Everything past an L1 hit: per-key coalescing of lookups, L2 (fresh, stale or missing), then
 * the load runner; and refreshes in the background, stale-while-revalidate and eager.
 */
export class ReadPath {
  private readonly inflight = new JoinableWork<Promise<Lookup<unknown>>>();
  backgroundRefreshes = 0;

  constructor(
    private readonly stack: CacheStack,
    private readonly runner: LoadRunner,
  ) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Lookups (and loads) that began before an invalidation covering them may answer their callers, but no new lookup joins them. */
  forget(fulls: readonly string[], tagNames: readonly string[]): void {
    this.inflight.forget(fulls, tagNames);
    this.runner.forget(fulls, tagNames);
    this.stack.gapKept.forget(fulls);
  }

  lookup<T>(
    key: CacheKey,
    loader: () => Promise<T>,
    options: LoadOptions | undefined,
    fallback: Fallback<T> | undefined,
    mustLoad: boolean,
  ): Promise<Lookup<T>> {
    const running = this.inflight.get(key.full) as Promise<Lookup<T>> | undefined;
    if (running) {
      this.stack.observer.coalesced(key.prefix);
      return running;
    }
    let tagStates: TagState[];
    try {
      tagStates = this.stack.tagStatesFor(key.prefix, options?.tags);
    } catch (error) {
      return Promise.reject(error);
    }
    const ctx: ReadContext<T> = { key, loader, tagStates, fallback, startSeq: this.stack.recent.now(), mustLoad };
    const trace = this.stack.observer.startLookup(key.prefix, key.full);
    const work = trace ? this.traced(ctx, trace) : this.fromL2OrLoad(ctx, undefined);
    const promise = work.finally(() => this.inflight.release(key.full, promise));
    ctx.self = promise;
    if (this.inflight.size < MAX_INFLIGHT) this.inflight.set(key.full, promise, tagStates);
    return promise;
  }

  /**
   * Starts a refresh that nobody waits for. It is registered as the key's in-flight lookup, so a
   * read arriving meanwhile (L1 may drop the stale entry at any time) joins it and gets its
   * answer: the new value, the stale one as fail-safe, or a typed error. `replacing` is the
   * caller's own in-flight lookup, which must not count as a refresh already running.
   */
  refresh<T>(
    key: CacheKey,
    loader: () => Promise<T>,
    options: LoadOptions | undefined,
    stale: Fallback<T>,
    reason: RefreshReason,
    replacing?: Promise<Lookup<unknown>>,
  ): void {
    const running = this.inflight.get(key.full);
    if ((running !== undefined && running !== replacing) || this.runner.isRunning(key.full)) return;
    let tagStates: TagState[];
    try {
      tagStates = this.stack.tagStatesFor(key.prefix, options?.tags);
    } catch {
      return; // Too many tags: the stale value was served; the next foreground read reports the error.
    }
    this.backgroundRefreshes++;
    const ctx: ReadContext<T> = {
      key,
      loader,
      tagStates,
      fallback: stale,
      startSeq: this.stack.recent.now(),
      mustLoad: true,
      reason,
    };
    const promise: Promise<Lookup<T>> = this.fromL2OrLoad(ctx, undefined).finally(() =>
      this.inflight.release(key.full, promise),
    );
    // Nobody awaits a refresh; its failures are counted by the load and refresh metrics, and retried on the next read.
    promise.catch(() => undefined);
    this.inflight.set(key.full, promise, tagStates);
  }

  /** A traced lookup runs inside its span; an untraced one is fromL2OrLoad alone, with no frame around it. */
  private async traced<T>(ctx: ReadContext<T>, trace: LookupTrace): Promise<Lookup<T>> {
    try {
      return await trace.within(() => this.fromL2OrLoad(ctx, trace));
    } catch (error) {
      trace.fail(error);
      throw error;
    } finally {
      trace.end();
    }
  }

  private async fromL2OrLoad<T>(ctx: ReadContext<T>, trace: LookupTrace | undefined): Promise<Lookup<T>> {
    const { key } = ctx;
    const { prefix } = key;
    const stack = this.stack;
    let version: string | undefined;
    let l2State: Lookup<T>['l2'] = 'unavailable';
    let fallback = ctx.fallback;
    if (stack.l2?.available) {
      try {
        const syncing = stack.syncTags(ctx.tagStates);
        if (syncing) await syncing;
        const found = await stack.readL2<T>(key);
        version = found.version;
        if (found.entry) {
          const now = stack.now();
          // An eager refresh wants a newer entry than the one it holds, not the same one again from L2.
          const newer = ctx.reason !== 'eager' || found.entry.loadedAt > (ctx.fallback?.entry.loadedAt ?? 0);
          if (now < found.entry.freshUntil && newer) {
            stack.observer.request(prefix, 'l2', 'hit');
            trace?.tierReached('l2', 'hit');
            return hitLookup(found.entry, 'l2', now, stack.fillL1(key, found.entry, ctx.startSeq));
          }
          const stale: Fallback<T> = { entry: found.entry, source: 'l2' };
          if (prefix.staleWhileRevalidate && !ctx.mustLoad) {
            stack.observer.request(prefix, 'l2', 'stale');
            trace?.tierReached('l2', 'stale');
            stack.staleServed(prefix, found.entry as CacheEntry<unknown>, now);
            this.refresh(key, ctx.loader, { tags: explicitTagNames(ctx.tagStates) }, stale, 'stale', ctx.self);
            return staleLookup(stale, now, 'stale');
          }
          if (!fallback || found.entry.staleUntil > fallback.entry.staleUntil) fallback = stale;
        }
        stack.observer.request(prefix, 'l2', 'miss');
        l2State = 'miss';
      } catch (error) {
        if (!isL2Failure(error)) throw error;
        l2State = 'unavailable';
        version = undefined;
      }
    }
    const load = {
      key,
      loader: ctx.loader,
      tagStates: ctx.tagStates,
      startSeq: ctx.startSeq,
      version,
      l2State,
      ...(ctx.reason ? { reason: ctx.reason } : {}),
    };
    if (l2State !== 'unavailable' || !stack.l2) return this.runner.run(load, fallback, trace);
    try {
      return await this.runner.run(load, fallback, trace);
    } catch (error) {
      if (!(error instanceof LoaderError)) throw error;
      const lastResort = await this.lastResort(ctx, trace);
      if (lastResort === undefined) throw error;
      return lastResort;
    }
  }

  /**
   * A read whose L2 read failed (not missed) and whose load failed with nothing to stand in: the
   * database is down and L2 timed out once, typically together, when a stalled event loop also
   * made the bus drop L1. L2 is asked once more for an entry within grace; if it still cannot
   * answer, the entry the bus gap dropped from L1, if any (gap-kept-entries.ts says when it may
   * be used). An L2 that answers "miss" ends it: the key may have been deleted by a write.
   */
  private async lastResort<T>(ctx: ReadContext<T>, trace: LookupTrace | undefined): Promise<Lookup<T> | undefined> {
    const { key } = ctx;
    const { prefix } = key;
    const stack = this.stack;
    const semantics = stack.observer.semantics;
    if (stack.l2?.available) {
      try {
        const syncing = stack.syncTags(ctx.tagStates);
        if (syncing) await syncing;
        const found = await stack.readL2<T>(key);
        const now = stack.now();
        if (!found.entry) {
          stack.observer.request(prefix, 'l2', 'miss');
          return undefined;
        }
        semantics?.lastResortServed?.(prefix, 'l2_retry');
        if (now < found.entry.freshUntil) {
          stack.observer.request(prefix, 'l2', 'hit');
          trace?.tierReached('l2', 'hit');
          return hitLookup(found.entry, 'l2', now, stack.fillL1(key, found.entry, ctx.startSeq));
        }
        stack.observer.request(prefix, 'l2', 'stale');
        trace?.tierReached('l2', 'stale');
        stack.staleServed(prefix, found.entry as CacheEntry<unknown>, now);
        return staleLookup({ entry: found.entry, source: 'l2' }, now, 'stale');
      } catch (error) {
        if (!isL2Failure(error)) throw error;
      }
    }
    const now = stack.now();
    const kept = stack.gapKept.usable(key.full, now) as CacheEntry<T> | undefined;
    if (kept === undefined) return undefined;
    semantics?.lastResortServed?.(prefix, 'gap_kept');
    trace?.tierReached('l1', 'stale');
    stack.staleServed(prefix, kept as CacheEntry<unknown>, now);
    return staleLookup({ entry: kept, source: 'l1' }, now, 'unavailable');
  }
}

/** A lookup's own tags (its implicit global and prefix tags come first and are added again by tagStatesFor). */
function explicitTagNames(states: readonly TagState[]): string[] {
  return states.slice(2).map((t) => t.name);
}
