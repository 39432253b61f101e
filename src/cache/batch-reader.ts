import { performance } from 'node:perf_hooks';
import type { CacheEntry } from './cache-entry.ts';
import type { CacheKey } from './cache-key.ts';
import { type CacheStack, isL2Failure } from './cache-stack.ts';
import { LoaderError } from './errors.ts';
import { stampsAreCurrent } from './tag-versions.ts';

/**
 * Many keys at once: L1 first, then one L2 round trip per node for the rest, then the loader
 * for what is still missing (in one call, so it can batch its query). If the loader fails and
 * every key it was asked for has an entry within grace (L1 or L2), those answer, stale, as a
 * single key's fail-safe would. Every key of a batch waited for the whole batch, so each
 * records the whole batch's time.
 */
export async function readMany<T>(
  stack: CacheStack,
  keys: readonly CacheKey[],
  loadMissing: (missing: readonly CacheKey[]) => Promise<Map<string, T>>,
  tagsOf?: (key: CacheKey) => readonly string[] | undefined,
): Promise<Map<string, T>> {
  const statesOf = (k: CacheKey) => stack.tagStatesFor(k.prefix, tagsOf?.(k));
  const out = new Map<string, T>();
  const now = stack.now();
  let pending: CacheKey[] = [];
  /** Entries past their fresh time but within grace: what answers if the loader fails (fail-safe, as for one key). */
  const stale = new Map<string, CacheEntry<T>>();
  for (const key of keys) {
    const entry = key.prefix.l1 ? (stack.l1.get(key.full) as CacheEntry<T> | undefined) : undefined;
    if (entry && stampsAreCurrent(entry.tags) && now < entry.freshUntil) {
      stack.observer.request(key.prefix, 'l1', 'hit');
      out.set(key.full, entry.value);
    } else {
      if (key.prefix.l1) stack.observer.request(key.prefix, 'l1', 'miss');
      if (entry && stampsAreCurrent(entry.tags) && now < entry.staleUntil) stale.set(key.full, entry);
      pending.push(key);
    }
  }
  if (pending.length === 0) return out;
  const startSeq = stack.recent.now();
  const versions = new Map<string, string>();
  if (stack.l2?.available) {
    try {
      await stack.syncTags(pending.flatMap(statesOf));
      const t0 = performance.now();
      const reads = await stack.l2.readMany(pending.map((k) => k.full));
      const seconds = (performance.now() - t0) / 1e3;
      const still: CacheKey[] = [];
      const at = stack.now();
      pending.forEach((key, i) => {
        stack.observer.operation(key.prefix, 'l2', 'get', seconds);
        const read = reads[i]!;
        const entry = stack.usableFromL2<T>(key.full, read.raw);
        if (entry && at < entry.freshUntil) {
          stack.observer.request(key.prefix, 'l2', 'hit');
          out.set(key.full, entry.value);
          stack.fillL1(key, entry, startSeq);
        } else {
          if (entry && entry.staleUntil > (stale.get(key.full)?.staleUntil ?? 0)) stale.set(key.full, entry);
          stack.observer.request(key.prefix, 'l2', 'miss');
          versions.set(key.full, read.version);
          still.push(key);
        }
      });
      pending = still;
    } catch (error) {
      if (!isL2Failure(error)) throw error;
    }
  }
  if (pending.length === 0) return out;
  const stampsByKey = new Map(pending.map((k) => [k.full, stack.tags.stamp(statesOf(k))]));
  const loadedAt = stack.now();
  const t0 = performance.now();
  let loaded: Map<string, T>;
  try {
    loaded = await loadMissing(pending);
    const seconds = (performance.now() - t0) / 1e3;
    for (const key of pending) stack.observer.load(key.prefix, true, seconds);
  } catch (error) {
    const seconds = (performance.now() - t0) / 1e3;
    for (const key of pending) stack.observer.load(key.prefix, false, seconds);
    // All or nothing: a batch answered with some keys left out would look complete to its caller.
    const at = stack.now();
    const standIns = pending.map((k) => stale.get(k.full));
    if (!standIns.every((e): e is CacheEntry<T> => e !== undefined && at < e.staleUntil && stampsAreCurrent(e.tags)))
      throw new LoaderError(pending[0]?.full ?? '', error);
    pending.forEach((key, i) => {
      out.set(key.full, standIns[i]!.value);
      stack.staleServed(key.prefix, standIns[i] as CacheEntry<unknown>, at);
    });
    return out;
  }
  await Promise.all(
    pending.map(async (key) => {
      const value = loaded.get(key.full);
      if (value === undefined) return;
      out.set(key.full, value);
      const { entry, serialized } = stack.makeEntry(key.prefix, value, stampsByKey.get(key.full) ?? [], loadedAt);
      const version = versions.get(key.full);
      const outcome = version === undefined ? 'failed' : await stack.storeL2(key, serialized, entry, version);
      if (outcome !== 'rejected') stack.fillL1(key, entry, startSeq);
    }),
  );
  return out;
}
