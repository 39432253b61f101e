/**
 * One cache library, one scenario, in its own process; prints one JSON line. Every library is
 * used through its public get-or-set API against the same Redis Cluster, with 500-byte values.
 *   l1:  one caller, one warm key, awaited get-or-set in a loop (memory layer hit)
 *   l2:  50 concurrent callers over 1,000 warm keys, memory layer off (every get a Redis read)
 *   cold: memory and Redis layers on, as in production; prints `ready`, reads a start time
 *         (epoch ms, the same for a twin process on the same namespace) from stdin, then fires
 *         1,000 concurrent get-or-sets of one cold key whose loader takes 100 ms; prints how
 *         many times the loader ran here
 * Argument: {"lib","scenario","seeds":"host:port,…","ms","ns"?}.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Cacheable, CacheableMemory } from 'cacheable';
import { Cluster } from 'ioredis';
import { Keyv } from 'keyv';
import { createCache } from '../../src/cache/create-cache.ts';
import { PrefixRegistry } from '../../src/cache/prefix-registry.ts';
import { noopObserver } from '../../src/cache/types.ts';
import { shopCachePolicies } from '../../src/shop/cache-policies.ts';

interface Spec {
  lib: string;
  scenario: 'l1' | 'l2' | 'cold';
  seeds: string;
  ms: number;
  /** The key namespace; the cold scenario's two processes share one. */
  ns?: string;
}
type GetOrSet = (key: string, load: () => Promise<string>) => Promise<unknown>;

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const seeds = spec.seeds.split(',').map((s) => {
  const [host, port] = s.split(':');
  return { host: host!, port: Number(port) };
});
const VALUE = JSON.stringify({ pad: 'x'.repeat(490) }).slice(0, 500);
const ns = spec.ns ?? `peer${randomUUID().slice(0, 8)}`;
const memory = spec.scenario !== 'l2';
const closers: (() => Promise<unknown>)[] = [];

/** Read and write system calls of this process so far (Linux /proc; zeros elsewhere): socket writes per get. */
function syscalls(): { r: number; w: number } {
  try {
    const io = readFileSync('/proc/self/io', 'utf8');
    return { r: Number(/syscr: (\d+)/.exec(io)?.[1] ?? 0), w: Number(/syscw: (\d+)/.exec(io)?.[1] ?? 0) };
  } catch {
    return { r: 0, w: 0 };
  }
}

/** Installed version, read from node_modules (some packages do not export their package.json). */
function versionOf(pkg: string): string {
  return (JSON.parse(readFileSync(join('node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

async function keyvRedis(): Promise<Keyv> {
  const { default: KeyvRedis, createCluster } = await import('@keyv/redis');
  const cluster = createCluster({ rootNodes: seeds.map((s) => ({ url: `redis://${s.host}:${s.port}` })) });
  return new Keyv({ store: new KeyvRedis(cluster), namespace: ns });
}

async function build(): Promise<{ getOrSet: GetOrSet; version: string }> {
  switch (spec.lib) {
    case 'this cache': {
      const policies = shopCachePolicies().map((p) => (memory ? p : { ...p, l1: false }));
      const rt = createCache({
        registry: new PrefixRegistry(policies),
        observer: noopObserver,
        log: { info() {}, warn() {}, debug() {} },
        l1: { maxEntries: 50_000, maxBytes: 64 * 1024 * 1024 },
        redis: {
          seeds,
          namespace: ns,
          timeoutMs: 1_000,
          breakerFailures: 5,
          breakerOpenMs: 1_000,
          heartbeatMs: 1_000,
          keyspaceEvents: false,
        },
        lockTtlMs: 2_000,
        lockWaitMs: 1_000,
      });
      closers.push(() => rt.close());
      // The circuit is closed (available) before the cluster has connected: a warm-up sent then
      // fails, opens the breaker and leaves the keys out of L2, so the measured "L2 hits" would be
      // loads with L2 skipped. Wait for the client itself to be ready.
      const deadline = Date.now() + 20_000;
      while (!(rt.l2?.available && rt.l2.client.status === 'ready') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      return {
        version: 'this repository',
        getOrSet: async (key, load) => (await rt.cache.get(rt.cache.key('product', key), load)).value,
      };
    }
    case 'bentocache': {
      const { BentoCache, bentostore } = await import('bentocache');
      const { memoryDriver } = await import('bentocache/drivers/memory');
      const { redisDriver, redisBusDriver } = await import('bentocache/drivers/redis');
      const connection = new Cluster(seeds);
      const busConnection = new Cluster(seeds);
      let store = bentostore();
      if (memory) store = store.useL1Layer(memoryDriver({ maxSize: '64mb' }));
      store = store.useL2Layer(redisDriver({ connection, prefix: ns }));
      if (memory) store = store.useBus(redisBusDriver({ connection: busConnection }));
      const bento = new BentoCache({ default: 'c', stores: { c: store } });
      closers.push(() => bento.disconnectAll());
      return {
        version: versionOf('bentocache'),
        getOrSet: (key, load) => bento.getOrSet({ key, factory: load, ttl: '10m' }),
      };
    }
    case 'cache-manager': {
      const { createCache: createManager } = await import('cache-manager');
      const redis = await keyvRedis();
      const stores = memory ? [new Keyv({ store: new CacheableMemory({ lruSize: 50_000 }) }), redis] : [redis];
      const manager = createManager({ stores });
      closers.push(() => manager.disconnect());
      return {
        version: `${versionOf('cache-manager')} (@keyv/redis ${versionOf('@keyv/redis')})`,
        getOrSet: (key, load) => manager.wrap(key, load, 600_000),
      };
    }
    case 'cacheable': {
      const redis = await keyvRedis();
      const cacheable = memory
        ? new Cacheable({
            primary: new Keyv({ store: new CacheableMemory({ lruSize: 50_000 }) }),
            secondary: redis,
            ttl: '10m',
          })
        : new Cacheable({ primary: redis, ttl: '10m' });
      closers.push(() => cacheable.disconnect());
      return {
        version: `${versionOf('cacheable')} (@keyv/redis ${versionOf('@keyv/redis')})`,
        getOrSet: (key, load) => cacheable.getOrSet(key, load),
      };
    }
    case 'async-cache-dedupe': {
      const { createCache: createDedupe } = await import('async-cache-dedupe');
      // Its redis storage takes an ioredis `Redis` client (typed and used as one), not a Cluster:
      // on a Redis Cluster it runs as a memory cache only.
      if (!memory) throw new Error('async-cache-dedupe: no Redis Cluster storage');
      const dedupe = createDedupe({ ttl: 600, storage: { type: 'memory', options: { size: 50_000 } } }).define(
        'value',
        async (_key: string) => VALUE,
      );
      return {
        version: versionOf('async-cache-dedupe'),
        getOrSet: (key) => dedupe.value(key),
      };
    }
    default:
      throw new Error(`unknown lib ${spec.lib}`);
  }
}

const { getOrSet, version } = await build();
if (spec.scenario === 'cold') await coldBurst();
let loads = 0;
const load = async () => {
  loads++;
  return VALUE;
};
const keys = Array.from({ length: memory ? 1 : 1_000 }, (_, i) => `k${i}`);
for (const k of keys) await getOrSet(k, load);

// Every key is warm from here on: a load in the measured window means the library did not hit.
const loadsBefore = loads;
let ops = 0;
const latencies: number[] = [];
const io0 = syscalls();
const cpu0 = process.cpuUsage();
const end = performance.now() + spec.ms;
if (memory) {
  while (performance.now() < end) {
    for (let i = 0; i < 1_000; i++) await getOrSet('k0', load);
    ops += 1_000;
  }
} else {
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await getOrSet(keys[next++ % keys.length]!, load);
        latencies.push(performance.now() - t0);
        ops++;
      }
    }),
  );
}
const cpu = process.cpuUsage(cpu0);
const io1 = syscalls();
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({ lib: spec.lib, version, scenario: spec.scenario, opsPerSec: (ops * 1000) / spec.ms, cpuUsPerGet: (cpu.user + cpu.system) / ops, loadsInRun: loads - loadsBefore, writesPerGet: (io1.w - io0.w) / ops, readsPerGet: (io1.r - io0.r) / ops, p50: q(0.5), p99: q(0.99) })}\n`,
);
await Promise.all(closers.map((c) => c().catch(() => undefined)));
process.exit(0);

/** The cold scenario: one burst on one cold key, then the loader's count and the failures. */
async function coldBurst(): Promise<never> {
  let loads = 0;
  const slowLoad = async () => {
    loads++;
    await new Promise((r) => setTimeout(r, 100));
    return VALUE;
  };
  process.stdout.write('ready\n');
  const [line] = await once(createInterface({ input: process.stdin }), 'line');
  const startAt = Number(line);
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const t0 = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: 1_000 }, () => getOrSet('cold', slowLoad)));
  const failed = settled.filter((s) => s.status === 'rejected').length;
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ lib: spec.lib, version, scenario: 'cold', loads, failed, ms })}\n`);
  await Promise.all(closers.map((c) => c().catch(() => undefined)));
  process.exit(0);
}
