import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { CacheKey } from '../src/cache/cache-key.ts';
import { type CacheObserver, noopObserver } from '../src/cache/types.ts';
import { startTestCache } from './harness/cache.ts';
import { type RedisClusterHandle, type RedisClusterNodeInfo, startPrivateCluster } from './harness/redis.ts';
import { testNamespace, waitFor } from './harness/service.ts';

/**
 * Coherence through the cache API (two TwoTierCache instances on a private Redis Cluster, the
 * production 1 s heartbeat, a 100 ms L2 timeout) while one node is paused (SIGSTOP) or killed:
 * the master of the written key's slot, or a node that holds one of the reader's bus
 * subscriptions, or both. After each write returns, the reader must drop its L1 copy within 1 s.
 */
type Runtime = Awaited<ReturnType<typeof startTestCache>>;

let cluster: RedisClusterHandle;
let a: Runtime;
let b: Runtime;
const namespace = testNamespace();
/** Invalidations B applied from the bus (each key of each message once). */
let remoteApplied = 0;
const countingRemote: CacheObserver = {
  ...noopObserver,
  invalidation: (_prefix, source) => {
    if (source === 'remote') remoteApplied++;
  },
};
/** The source of truth the loaders read. */
const truth = new Map<string, number>();

beforeAll(async () => {
  cluster = await startPrivateCluster();
  const options = { seeds: cluster.seedString, namespace, heartbeatMs: 1_000, timeoutMs: 100 };
  a = await startTestCache(options);
  b = await startTestCache({ ...options, observer: countingRemote });
  await waitFor(
    () => liveSubscriptions(a).length === 2 && liveSubscriptions(b).length === 2,
    15_000,
    'two live bus subscriptions each',
  );
}, 90_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await cluster?.stop();
});

const portOf = (node: string) => Number(node.slice(node.lastIndexOf(':') + 1));
const liveSubscriptions = (rt: Runtime) =>
  rt
    .bus!.status()
    .subscriptions.filter((s) => s.live)
    .map((s) => portOf(s.node));
const inRanges = (slot: number, node: RedisClusterNodeInfo) => node.slotRanges.some(([x, y]) => slot >= x && slot <= y);

let nextId = 0;
/** A fresh key of the L1 prefix whose slot the given master owns (any master when none is given). */
function keyOn(master: RedisClusterNodeInfo | undefined): CacheKey {
  for (;;) {
    const key = a.cache.key('alpha', `paused-${nextId++}`);
    if (!master || inRanges(calculateSlot(key.full), master)) {
      truth.set(key.full, 1);
      return key;
    }
  }
}

const loaderOf = (key: CacheKey) => async () => truth.get(key.full) ?? 0;
const read = async (rt: Runtime, key: CacheKey) => (await rt.cache.get(key, loaderOf(key))).value;

/** Both instances hold the key in L1 (B's second read is an L1 hit). */
async function warm(key: CacheKey): Promise<number> {
  const before = await read(a, key);
  expect(await read(b, key)).toBe(before);
  expect((await b.cache.get(key, loaderOf(key))).source).toBe('l1');
  return before;
}

/** Writes through A (the truth moves, then A invalidates); returns how long the write took and how long B kept the old value after it returned. */
async function writeAndWatch(key: CacheKey, boundMs: number, writer: Runtime = a) {
  const next = (truth.get(key.full) ?? 0) + 1;
  truth.set(key.full, next);
  const t0 = performance.now();
  await writer.cache.invalidate({ keys: [key] });
  const returned = performance.now();
  let seenMs: number | null = null;
  while (performance.now() - returned < boundMs) {
    if ((await read(b, key)) === next) {
      seenMs = Math.round(performance.now() - returned);
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { next, writeMs: Math.round(returned - t0), seenOnOtherMs: seenMs };
}

/** The raw L2 value of a key, read from (or, with `put`, put back on) the node that owns it: no cache in between. */
async function rawL2(key: CacheKey, master: RedisClusterNodeInfo, put?: string): Promise<string | null> {
  const host = cluster.seeds[0]!.host;
  const node = new Redis({ host, port: master.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await node.connect();
    if (put !== undefined) await node.set(`${namespace}:{${key.full}}`, put, 'PX', 60_000);
    return await node.get(`${namespace}:{${key.full}}`);
  } finally {
    node.disconnect();
  }
}

test('a message heard through both subscriptions is applied once', async () => {
  expect(liveSubscriptions(b)).toHaveLength(2);
  // Every message A sends (a delete that timed out on this busy machine is replayed as a new message).
  const bus = a.bus!;
  const send = bus.send.bind(bus);
  let sent = 0;
  bus.send = (message) => {
    sent += message.keys.length;
    return send(message);
  };
  const before = remoteApplied;
  const writes = 5;
  try {
    for (let i = 0; i < writes; i++) await a.cache.invalidate({ keys: [keyOn(undefined)] });
    await waitFor(() => remoteApplied - before >= writes, 5_000, 'B to apply every message');
    // Each subscription then hears a heartbeat sent after the last write, so a second copy had time to arrive.
    const heardAt = Date.now();
    await waitFor(
      () =>
        b
          .bus!.status()
          .subscriptions.every((s) => s.lastHeartbeatAgoMs !== null && Date.now() - s.lastHeartbeatAgoMs > heardAt),
      5_000,
      'both subscriptions to hear a later heartbeat',
    );
  } finally {
    bus.send = send;
  }
  // Heard twice and applied twice, it would be 2 per message sent.
  expect(remoteApplied - before).toBeGreaterThanOrEqual(writes);
  expect(remoteApplied - before).toBeLessThanOrEqual(sent);
  expect(sent).toBeLessThan(2 * writes);
}, 30_000);

test('defect 3: a write while the master of the key is paused reaches the other instances within 1 s, and the L2 entry it could not delete is never served', async () => {
  // The writer is a third instance, closed before the master resumes: no replay of the delete.
  const writer = await startTestCache({ seeds: cluster.seedString, namespace, heartbeatMs: 1_000, timeoutMs: 100 });
  const bSubs = liveSubscriptions(b);
  const masters = await cluster.masters();
  // A master with none of B's subscriptions: this test is about the write, the next one about a subscription node.
  const victim = masters.find((m) => !bSubs.includes(m.port)) ?? masters[0]!;
  const key = keyOn(victim);
  await warm(key);
  const oldRaw = await rawL2(key, victim);
  expect(oldRaw, 'the old entry is in L2 before the fault').not.toBeNull();
  const gapsBefore = b.bus!.status().gaps;
  await cluster.pauseNode(victim.port);
  let result: Awaited<ReturnType<typeof writeAndWatch>>;
  try {
    result = await writeAndWatch(key, 1_000, writer);
    // A heard it too (its L1 copy is gone).
    expect(await read(a, key)).toBe(result.next);
  } finally {
    await writer.close();
    await cluster.resumeNode(victim.port); // before the 2 s node timeout: no failover
  }
  // Commands that timed out while the node was paused sat in its socket and may run on resume (the
  // delete among them). The case under test is the delete that never lands (a failover to a replica
  // that has the entry): the old entry is put back if it went.
  const afterResume = await rawL2(key, victim);
  if (afterResume !== oldRaw) expect(await rawL2(key, victim, oldRaw!)).toBe(oldRaw);
  // Both L1s emptied: the reads below find the old entry in L2 and must refuse it.
  a.l1.clear();
  b.l1.clear();
  for (const rt of [a, b]) expect(await read(rt, key)).toBe(result.next);
  console.log(
    JSON.stringify({ test: 'cache-api-master-paused', ...result, oldEntryLeftByThePause: afterResume === oldRaw }),
  );
  expect(result.seenOnOtherMs, 'B dropped its L1 copy within 1 s').not.toBeNull();
  expect(b.bus!.status().gaps).toBe(gapsBefore);
  await cluster.waitForClusterOk(20_000);
}, 60_000);

test("a write while the node holding one of the reader's bus subscriptions is paused (with the key's master) reaches it within 1 s, without a bus gap", async () => {
  const subs = liveSubscriptions(b);
  const masters = await cluster.masters();
  const subMaster = masters.find((m) => subs.includes(m.port));
  // The subscription's node is paused; when it is a master, the key lives on it, otherwise its master is paused too.
  const pausedSub = subMaster?.port ?? subs[0]!;
  const keyMaster = subMaster ?? masters.find((m) => !subs.includes(m.port))!;
  const key = keyOn(keyMaster);
  await warm(key);
  const gapsBefore = b.bus!.status().gaps;
  const paused = [...new Set([pausedSub, keyMaster.port])];
  for (const port of paused) await cluster.pauseNode(port);
  let result: Awaited<ReturnType<typeof writeAndWatch>>;
  try {
    result = await writeAndWatch(key, 1_000);
  } finally {
    for (const port of paused) await cluster.resumeNode(port);
  }
  console.log(JSON.stringify({ test: 'cache-api-subscription-node-paused', paused, subscriptions: subs, ...result }));
  expect(result.seenOnOtherMs, 'B dropped its L1 copy within 1 s').not.toBeNull();
  expect(b.bus!.status().gaps, 'the other subscription kept hearing the bus').toBe(gapsBefore);
  await cluster.waitForClusterOk(20_000);
}, 60_000);

test('a subscription node paused for longer than three heartbeats: the subscription moves to another node, L1 is kept, writes keep arriving within 1 s', async () => {
  const subs = liveSubscriptions(b);
  const replicas = (await cluster.nodes()).filter((n) => n.role !== 'master').map((n) => n.port);
  // A replica when B has one (no failover to wait for); a master otherwise.
  const pausedSub = subs.find((p) => replicas.includes(p)) ?? subs[0]!;
  const masters = (await cluster.masters()).filter((m) => m.port !== pausedSub);
  const keptKey = keyOn(masters[0]);
  await warm(keptKey);
  const gapsBefore = b.bus!.status().gaps;
  const writes: (number | null)[] = [];
  await cluster.pauseNode(pausedSub);
  try {
    for (let round = 0; round < 3; round++) {
      const key = keyOn(masters[round % masters.length]);
      await warm(key);
      writes.push((await writeAndWatch(key, 1_000)).seenOnOtherMs);
    }
    await waitFor(
      () => {
        const now = liveSubscriptions(b);
        return now.length === 2 && !now.includes(pausedSub);
      },
      15_000,
      'B to move its subscription off the paused node',
    );
    const key = keyOn(masters[0]);
    await warm(key);
    writes.push((await writeAndWatch(key, 1_000)).seenOnOtherMs);
  } finally {
    await cluster.resumeNode(pausedSub);
  }
  console.log(
    JSON.stringify({
      test: 'cache-api-subscription-moved',
      pausedSub,
      before: subs,
      after: liveSubscriptions(b),
      writes,
    }),
  );
  expect(writes.every((ms) => ms !== null)).toBe(true);
  expect(b.bus!.status().gaps, 'no gap: L1 was never dropped').toBe(gapsBefore);
  expect((await b.cache.get(keptKey, loaderOf(keptKey))).source, 'an untouched key is still in L1').toBe('l1');
  await cluster.waitForClusterOk(30_000);
}, 90_000);

test("a write after the node holding one of the reader's subscriptions was killed reaches it within 1 s, without a bus gap", async () => {
  const subs = liveSubscriptions(b);
  const killed = subs[0]!;
  const masters = (await cluster.masters()).filter((m) => m.port !== killed);
  const key = keyOn(masters[0]);
  await warm(key);
  const gapsBefore = b.bus!.status().gaps;
  await cluster.killNode(killed);
  const result = await writeAndWatch(key, 1_000);
  console.log(JSON.stringify({ test: 'cache-api-subscription-node-killed', killed, ...result }));
  expect(result.seenOnOtherMs).not.toBeNull();
  expect(b.bus!.status().gaps).toBe(gapsBefore);
  await waitFor(
    () => !liveSubscriptions(b).includes(killed) && liveSubscriptions(b).length === 2,
    15_000,
    'B to subscribe elsewhere',
  );
}, 60_000);
