/**
 * What an L2 hit costs at each layer, in one process on its own Redis Cluster: the Redis
 * clients alone (node-redis's cluster client, as the cacheable and cache-manager peers use it
 * through @keyv/redis; ioredis's `Cluster`; ioredis's connection to the slot's owner, which the
 * L2 tier reads through), the L2 tier's read (`L2RedisTier.read`: slot owner, timeout,
 * breaker), and `cache.get` with L1 off (coalescing, tags, decoding, metrics hooks). Each reads a
 * value and its version (one MGET). 50 concurrent callers over 1,000 warm keys of ~500 bytes; CPU
 * µs per get, all layers interleaved over rounds, medians printed. Not part of `npm run bench`:
 * the peers section measures the end-to-end L2 hit; this one says where it goes.
 *
 *   node --import tsx bench/l2-read-layers.ts     # ROUNDS=7 by default
 *   LAYER='cache.get (L1 off)' node --cpu-prof --import tsx bench/l2-read-layers.ts   # one layer, to profile
 */
import { createCluster } from '@keyv/redis';
import calculateSlot from 'cluster-key-slot';
import { createCache } from '../src/cache/create-cache.ts';
import { PrefixRegistry } from '../src/cache/prefix-registry.ts';
import { noopObserver } from '../src/cache/types.ts';
import { startRedisCluster } from '../src/redis-cluster/index.ts';
import { shopCachePolicies } from '../src/shop/cache-policies.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const CALLERS = 50;
const KEYS = 1_000;
const VALUE = JSON.stringify({ pad: 'x'.repeat(490) }).slice(0, 500);

const cluster = await startRedisCluster({ log: () => {} });
const seeds = cluster.seedString.split(',').map((s) => {
  const [host, port] = s.split(':');
  return { host: host!, port: Number(port) };
});
const runtime = createCache({
  registry: new PrefixRegistry(shopCachePolicies().map((p) => ({ ...p, l1: false }))),
  observer: noopObserver,
  log: { info() {}, warn() {}, debug() {} },
  l1: { maxEntries: 50_000, maxBytes: 64 * 1024 * 1024 },
  redis: {
    seeds,
    namespace: 'layers',
    timeoutMs: 1_000,
    breakerFailures: 5,
    breakerOpenMs: 1_000,
    heartbeatMs: 1_000,
    keyspaceEvents: false,
  },
  lockTtlMs: 2_000,
  lockWaitMs: 1_000,
});
const l2 = runtime.l2!;
while (!(l2.available && l2.client.status === 'ready')) await new Promise((r) => setTimeout(r, 50));

const keys = Array.from({ length: KEYS }, (_, i) => runtime.cache.key('product', i + 1));
for (const key of keys) await runtime.cache.get(key, async () => VALUE);
const redisKeys = keys.map((k) => [l2.keys.value(k.full), l2.keys.version(k.full)] as const);
const noLoad = async (): Promise<string> => {
  throw new Error('a warm key was loaded: not an L2 hit');
};

const nodeRedis = createCluster({ rootNodes: seeds.map((s) => ({ url: `redis://${s.host}:${s.port}` })) });
await nodeRedis.connect();
const owners = redisKeys.map(([value]) => {
  const owner = l2.client.slots[calculateSlot(value)]?.[0];
  const node = l2.client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
  if (!node) throw new Error(`no master for ${value}`);
  return node;
});

const allLayers: Record<string, (i: number) => Promise<unknown>> = {
  'raw node-redis cluster MGET': (i) => nodeRedis.mGet([redisKeys[i]![0], redisKeys[i]![1]]),
  'raw ioredis Cluster MGET': (i) => l2.client.mget(redisKeys[i]![0], redisKeys[i]![1]),
  'raw ioredis slot-owner MGET': (i) => owners[i]!.mget(redisKeys[i]![0], redisKeys[i]![1]),
  'L2 tier read': (i) => l2.read(keys[i]!.full),
  'cache.get (L1 off)': async (i) => (await runtime.cache.get(keys[i]!, noLoad)).value,
};

const layers = Object.fromEntries(
  Object.entries(allLayers).filter(([name]) => process.env.LAYER === undefined || name === process.env.LAYER),
);

async function cpuPerGet(read: (i: number) => Promise<unknown>, ms: number): Promise<number> {
  let gets = 0;
  const end = performance.now() + ms;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, caller) => {
      for (let i = caller; performance.now() < end; i += CALLERS) {
        await read(i % KEYS);
        gets++;
      }
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / gets;
}

for (const read of Object.values(layers)) await cpuPerGet(read, 500);
const figures = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++)
  for (const [name, read] of Object.entries(layers))
    figures.set(name, [...(figures.get(name) ?? []), await cpuPerGet(read, 1_200)]);
for (const [name, values] of figures) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(
    `${name.padEnd(26)} median ${median.toFixed(2)} µs CPU/get   rounds: ${values.map((v) => v.toFixed(1)).join(' ')}`,
  );
}
await nodeRedis.close();
await runtime.close();
await cluster.stop();
