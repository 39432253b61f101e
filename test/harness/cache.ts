import type { Clock } from '../../src/cache/clock.ts';
import { type CacheRuntime, createCache } from '../../src/cache/create-cache.ts';
import { type PrefixPolicy, PrefixRegistry } from '../../src/cache/prefix-registry.ts';
import { type CacheObserver, type L1Admission, noopObserver } from '../../src/cache/types.ts';
import { parseSeeds, sharedClusterSeeds } from './redis.ts';
import { testNamespace, waitFor } from './service.ts';

/** Prefixes with no shop meaning: the cache is tested as the generic module it is. */
export const TEST_POLICIES: PrefixPolicy[] = [
  { name: 'alpha', freshMs: 60_000, graceMs: 60_000, jitter: 0, l1: true, staleWhileRevalidate: true },
  { name: 'beta', freshMs: 60_000, graceMs: 60_000, jitter: 0, l1: true, staleWhileRevalidate: false },
  { name: 'gamma', freshMs: 60_000, graceMs: 60_000, jitter: 0, l1: false, staleWhileRevalidate: false },
];

export interface TestCacheOptions {
  namespace?: string;
  policies?: PrefixPolicy[];
  seeds?: string | false;
  maxEntries?: number;
  /** L1 admission for every prefix; the tier's default (TinyLFU) when absent. */
  admission?: L1Admission;
  observer?: CacheObserver;
  lockWaitMs?: number;
  clock?: Clock;
  timeoutMs?: number;
  heartbeatMs?: number;
}

/** One cache instance on the shared cluster (or L1 only), ready once its bus heartbeat has come back. */
export async function startTestCache(
  options: TestCacheOptions = {},
): Promise<CacheRuntime & { registry: PrefixRegistry; namespace: string }> {
  const namespace = options.namespace ?? testNamespace();
  const registry = new PrefixRegistry(options.policies ?? TEST_POLICIES);
  const seeds = options.seeds === undefined ? sharedClusterSeeds() : options.seeds;
  const silent = { info() {}, warn() {}, debug() {} };
  const runtime = createCache({
    registry,
    observer: options.observer ?? noopObserver,
    log: silent,
    l1: {
      maxEntries: options.maxEntries ?? 10_000,
      maxBytes: 64 * 1024 * 1024,
      ...(options.admission ? { admission: options.admission } : {}),
    },
    ...(seeds
      ? {
          redis: {
            seeds: parseSeeds(seeds),
            namespace,
            timeoutMs: options.timeoutMs ?? 500,
            breakerFailures: 5,
            breakerOpenMs: 200,
            heartbeatMs: options.heartbeatMs ?? 100,
            keyspaceEvents: false,
          },
        }
      : {}),
    lockTtlMs: 2_000,
    lockWaitMs: options.lockWaitMs ?? 2_000,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  if (seeds) {
    try {
      await waitFor(
        () => runtime.bus?.healthy === true && runtime.redis?.status === 'ready',
        15_000,
        'cache bus heartbeat',
      );
    } catch (error) {
      // The caller never gets the runtime to close: without this its bus and client outlive the test.
      await runtime.close();
      throw error;
    }
  }
  return { ...runtime, registry, namespace };
}

/** A loader that counts its calls and can be held open, to build races on purpose. */
export function countingLoader<T>(value: () => T, delayMs = 0) {
  let calls = 0;
  const loader = async () => {
    calls++;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return value();
  };
  return { loader, calls: () => calls };
}

export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
