import fc from 'fast-check';
import { expect } from 'vitest';
import type { CacheKey } from '../../src/cache/cache-key.ts';
import type { InvalidationMessage } from '../../src/cache/invalidation-bus.ts';
import type { PrefixPolicy } from '../../src/cache/prefix-registry.ts';
import type { startTestCache } from '../harness/cache.ts';
import type { ManualClock } from '../harness/manual-clock.ts';
import { waitFor } from '../harness/service.ts';

type Runtime = Awaited<ReturnType<typeof startTestCache>>;

export const FRESH_MS = 1_000;
export const GRACE_MS = 2_000;
export const SOFT_MS = 100;
// Above the worst healthy path (three Redis calls at their 60 ms timeout and the 150 ms lock wait),
// so a healthy read on a busy machine does not reach it; a hung loader does (seen: 120 ms failed
// healthy reads at load average 25).
export const HARD_MS = 400;

export const MODEL_POLICIES: PrefixPolicy[] = [
  {
    name: 'swr',
    freshMs: FRESH_MS,
    graceMs: GRACE_MS,
    jitter: 0,
    l1: true,
    staleWhileRevalidate: true,
    softTimeoutMs: SOFT_MS,
    hardTimeoutMs: HARD_MS,
  },
  {
    name: 'safe',
    freshMs: FRESH_MS,
    graceMs: GRACE_MS,
    jitter: 0,
    l1: true,
    staleWhileRevalidate: false,
    hardTimeoutMs: HARD_MS,
  },
  {
    name: 'remote',
    freshMs: FRESH_MS,
    graceMs: GRACE_MS,
    jitter: 0,
    l1: false,
    staleWhileRevalidate: false,
    hardTimeoutMs: HARD_MS,
  },
];

/** The keys of one run: two stale-while-revalidate keys, one fail-safe-only, one L2-only. */
const KEY_SPECS = [
  { prefix: 'swr', tag: 'swr:g0' },
  { prefix: 'swr', tag: 'swr:g1' },
  { prefix: 'safe', tag: 'safe:g0' },
  { prefix: 'remote', tag: 'remote:g0' },
] as const;

export type LoaderMode = 'ok' | 'slow' | 'fail' | 'hang';

export interface Value {
  key: string;
  version: number;
}

/** One instance as the model drives it: the cache plus what its bus delivered, observed (not replaced). */
export interface Instance {
  name: 'a' | 'b';
  rt: Runtime;
  receivedKeys: Map<string, number>;
  receivedTags: Map<string, number>;
  /** Times the instance dropped its L1 for a bus gap (on silence and again on recovery). */
  gapDrops: number;
}

export function observeBus(name: 'a' | 'b', rt: Runtime): Instance {
  const inst: Instance = { name, rt, receivedKeys: new Map(), receivedTags: new Map(), gapDrops: 0 };
  const dropForGap = rt.cache.handleGap.bind(rt.cache);
  rt.cache.handleGap = () => {
    dropForGap();
    inst.gapDrops++;
  };
  const apply = rt.cache.handleRemote.bind(rt.cache);
  rt.cache.handleRemote = (m: InvalidationMessage) => {
    apply(m);
    for (const k of m.keys) inst.receivedKeys.set(k, (inst.receivedKeys.get(k) ?? 0) + 1);
    for (const [t, v] of m.tags) inst.receivedTags.set(t, Math.max(v, inst.receivedTags.get(t) ?? 0));
  };
  return inst;
}

/** The system under test and the source of truth its loaders read. */
export class World {
  readonly db = new Map<string, number>();
  mode: LoaderMode = 'ok';
  l2Up = true;
  /** [instance][key] → the lowest version the instance may still serve. */
  readonly minVersion = { a: new Map<string, number>(), b: new Map<string, number>() };
  /**
   * Loads running per instance, key, source version and invalidation epoch: more than one is a
   * duplicate load. An invalidation covering a key (a write, a bus gap) starts a new epoch: the
   * load running from before it may have read what the write replaced, so the cache lets later
   * reads start a fresh load rather than join it, by design.
   */
  private readonly activeLoads = new Map<string, number>();
  private readonly epochs = new Map<string, number>();
  readonly violations: string[] = [];
  private hung: (() => void)[] = [];
  /** Writes made while L2 was down, whose messages the other instance has not had yet. */
  readonly undelivered: { to: Instance; key: string; version: number; check: () => boolean }[] = [];
  readonly keys: CacheKey[];

  constructor(
    readonly run: number,
    readonly a: Instance,
    readonly b: Instance,
    readonly clock: ManualClock,
    readonly pause: (down: boolean) => Promise<void>,
  ) {
    this.keys = KEY_SPECS.map((s, i) => a.rt.cache.key(s.prefix, `r${run}`, i));
    for (const k of this.keys) this.db.set(k.full, 1);
  }

  tagOf(i: number): string {
    return KEY_SPECS[i]!.tag;
  }

  loader(inst: Instance, full: string): () => Promise<Value> {
    return async () => {
      const version = this.db.get(full) ?? 0;
      const id = `${inst.name}|${full}|${version}|${this.epochs.get(full) ?? 0}`;
      const active = (this.activeLoads.get(id) ?? 0) + 1;
      this.activeLoads.set(id, active);
      if (active > 1) this.violations.push(`loader for ${full}@${version} ran ${active} times at once on ${inst.name}`);
      try {
        const mode = this.mode;
        if (mode === 'fail') throw new Error('source of truth failing');
        if (mode === 'slow') await new Promise((r) => setTimeout(r, 15));
        if (mode === 'hang') {
          await new Promise<void>((r) => this.hung.push(r));
          throw new Error('hung loader released');
        }
        return { key: full, version };
      } finally {
        this.activeLoads.set(id, (this.activeLoads.get(id) ?? 1) - 1);
      }
    };
  }

  /** A new invalidation epoch for these keys (on both instances: the other's starts when the message lands). */
  newEpoch(fulls: readonly string[]): void {
    for (const full of fulls) this.epochs.set(full, (this.epochs.get(full) ?? 0) + 1);
  }

  /** Lets hung loaders end (they fail) and waits until nothing runs in the background. */
  async release(): Promise<void> {
    const hung = this.hung;
    this.hung = [];
    for (const r of hung) r();
    await Promise.all([this.a.rt.cache.settled(), this.b.rt.cache.settled()]);
  }

  other(inst: Instance): Instance {
    return inst === this.a ? this.b : this.a;
  }

  checkValue(inst: Instance, full: string, value: unknown): void {
    expect(value, `${inst.name} read ${full}`).toBeDefined();
    const v = value as Value;
    expect(v.key).toBe(full);
    const min = this.minVersion[inst.name].get(full) ?? 0;
    expect(
      v.version,
      `${inst.name} served ${full}@${v.version} after the write of @${min} reached it`,
    ).toBeGreaterThanOrEqual(min);
    expect(this.violations).toEqual([]);
  }
}

type Cmd = fc.AsyncCommand<object, World, false>;

/** What the sequences actually exercised, printed after each property so a run that tests little shows. */
export const stats: Record<string, number> = {};
const count = (what: string): void => {
  stats[what] = (stats[what] ?? 0) + 1;
};

class Get implements Cmd {
  constructor(
    readonly inst: 'a' | 'b',
    readonly i: number,
  ) {}
  check = () => true;
  async run(_: object, w: World): Promise<void> {
    const inst = w[this.inst];
    const key = w.keys[this.i]!;
    const mode = w.mode;
    let lookup: Awaited<ReturnType<Runtime['cache']['get']>>;
    try {
      lookup = await inst.rt.cache.get(key, w.loader(inst, key.full), { tags: [w.tagOf(this.i)] });
    } catch (error) {
      // A read fails only with a typed error, and only when the source of truth does (HARD_MS is
      // set above a healthy load's worst case, so a healthy read that times out is a failure).
      if (!['fail', 'hang'].includes(mode)) throw error;
      expect((error as Error).name).toMatch(/^LoaderError$|^LoaderTimeoutError$/);
      count(`get error ${(error as Error).name}`);
      return;
    }
    w.checkValue(inst, key.full, lookup.value);
    count(
      lookup.stale
        ? `get ${lookup.source} stale${lookup.timeout ? ` (${lookup.timeout} timeout)` : ''}`
        : `get ${lookup.source}`,
    );
    if (lookup.stale) {
      expect(-lookup.ttlMs, 'a stale answer older than grace').toBeLessThanOrEqual(GRACE_MS);
      if ((mode === 'ok' || mode === 'slow') && w.l2Up && !lookup.timeout) {
        // Every stale entry read gets refreshed: once the background work is done, the next read is fresh.
        await inst.rt.cache.settled();
        const again = await inst.rt.cache.get(key, w.loader(inst, key.full), { tags: [w.tagOf(this.i)] });
        w.checkValue(inst, key.full, again.value);
        expect(again.stale, `${key.full} still stale after its refresh`).toBe(false);
        count('stale answer refreshed');
      }
    }
  }
  toString = () => `get(${this.inst}, k${this.i})`;
}

class GetMany implements Cmd {
  constructor(readonly inst: 'a' | 'b') {}
  check = () => true;
  async run(_: object, w: World): Promise<void> {
    const inst = w[this.inst];
    const keys = w.keys.slice(0, 2);
    const mode = w.mode;
    try {
      const found = await inst.rt.cache.getMany<Value>(
        keys,
        async (missing) => {
          if (mode === 'fail' || mode === 'hang') throw new Error('source of truth failing');
          return new Map(missing.map((k) => [k.full, { key: k.full, version: w.db.get(k.full) ?? 0 }]));
        },
        (k) => [w.tagOf(w.keys.indexOf(k))],
      );
      for (const k of keys) w.checkValue(inst, k.full, found.get(k.full));
    } catch (error) {
      if (!['fail', 'hang'].includes(mode)) throw error;
      expect((error as Error).name).toBe('LoaderError');
    }
  }
  toString = () => `getMany(${this.inst})`;
}

class Write implements Cmd {
  constructor(
    readonly inst: 'a' | 'b',
    readonly i: number,
    readonly how: 'key' | 'tag' | 'prefix',
  ) {}
  check = () => true;
  async run(_: object, w: World): Promise<void> {
    const inst = w[this.inst];
    const other = w.other(inst);
    const key = w.keys[this.i]!;
    const version = (w.db.get(key.full) ?? 0) + 1;
    w.db.set(key.full, version);
    const tag = this.how === 'tag' ? w.tagOf(this.i) : `${key.prefix.name}:*`;
    const keysBefore = other.receivedKeys.get(key.full) ?? 0;
    const tagBefore = other.receivedTags.get(tag) ?? 0;
    const target =
      this.how === 'key' ? { keys: [key] } : this.how === 'tag' ? { tags: [tag] } : { prefixes: [key.prefix.name] };
    const covers = (k: CacheKey, j: number): boolean => {
      if (this.how === 'key') return j === this.i;
      if (this.how === 'tag') return w.tagOf(j) === tag;
      return k.prefix.name === key.prefix.name;
    };
    w.newEpoch(w.keys.filter(covers).map((k) => k.full));
    await inst.rt.cache.invalidate(target);
    w.minVersion[inst.name].set(key.full, version);
    const delivered =
      this.how === 'key'
        ? () => (other.receivedKeys.get(key.full) ?? 0) > keysBefore
        : () => (other.receivedTags.get(tag) ?? 0) > tagBefore;
    if (!w.l2Up) {
      // The replayed message can be published while the other instance is still re-subscribing, and
      // be lost; that instance then drops its L1 when its bus recovers (after this write), which is
      // the guarantee for lost messages. Either counts; the version checks that follow hold it to it.
      const gapDropsBefore = other.gapDrops;
      const reached = () => delivered() || other.gapDrops > gapDropsBefore;
      w.undelivered.push({ to: other, key: key.full, version, check: reached });
      count('write during outage');
      return;
    }
    await waitFor(delivered, 2_000, `the invalidation of ${key.full} to reach ${other.name}`, 2);
    count(`write by ${this.how}`);
    w.minVersion[other.name].set(key.full, Math.max(version, w.minVersion[other.name].get(key.full) ?? 0));
  }
  toString = () => `write(${this.inst}, k${this.i}, by ${this.how})`;
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_: object, w: World): Promise<void> {
    w.clock.advance(this.ms);
  }
  toString = () => `advance(${this.ms} ms)`;
}

class EvictL1 implements Cmd {
  constructor(
    readonly inst: 'a' | 'b',
    readonly i: number,
  ) {}
  check = () => true;
  async run(_: object, w: World): Promise<void> {
    w[this.inst].rt.l1.delete(w.keys[this.i]!.full, 'size');
  }
  toString = () => `evictL1(${this.inst}, k${this.i})`;
}

class SetMode implements Cmd {
  constructor(readonly mode: LoaderMode) {}
  check = () => true;
  async run(_: object, w: World): Promise<void> {
    w.mode = this.mode;
    if (this.mode !== 'hang') await w.release();
  }
  toString = () => `loader(${this.mode})`;
}

class L2Down implements Cmd {
  check = () => true;
  async run(_: object, w: World): Promise<void> {
    if (!w.l2Up) return;
    w.l2Up = false;
    w.newEpoch(w.keys.map((k) => k.full)); // the bus gap drops L1 and every running load's claim
    await w.pause(true);
    count('l2 down');
  }
  toString = () => 'l2Down()';
}

class L2Up implements Cmd {
  check = () => true;
  async run(_: object, w: World): Promise<void> {
    if (w.l2Up) return;
    await w.pause(false);
    w.l2Up = true;
    await healthy(w);
    // What was written during the outage reaches the other instance by replay, bounded.
    for (const u of w.undelivered.splice(0)) {
      await waitFor(u.check, 5_000, `the replayed invalidation of ${u.key} to reach ${u.to.name}`, 5);
      w.minVersion[u.to.name].set(u.key, Math.max(u.version, w.minVersion[u.to.name].get(u.key) ?? 0));
    }
  }
  toString = () => 'l2Up()';
}

export async function healthy(w: World): Promise<void> {
  await waitFor(
    () =>
      [w.a, w.b].every(
        (i) => i.rt.l2?.circuitState === 'closed' && i.rt.bus?.healthy === true && i.rt.redis?.status === 'ready',
      ),
    15_000,
    'both instances to see L2 and the bus healthy again',
  );
}

const inst = fc.constantFrom<'a' | 'b'>('a', 'b');
const keyIndex = fc.integer({ min: 0, max: KEY_SPECS.length - 1 });

export function commandArbitraries(withOutages: boolean): fc.Arbitrary<Cmd>[] {
  const base: fc.Arbitrary<Cmd>[] = [
    fc.tuple(inst, keyIndex).map(([s, i]) => new Get(s, i)),
    fc.tuple(inst, keyIndex).map(([s, i]) => new Get(s, i)),
    inst.map((s) => new GetMany(s)),
    fc
      .tuple(inst, keyIndex, fc.constantFrom<'key' | 'tag' | 'prefix'>('key', 'key', 'tag', 'prefix'))
      .map(([s, i, h]) => new Write(s, i, h)),
    fc.constantFrom(100, 500, 850, 1_200, 2_500).map((ms) => new Advance(ms)),
    fc.tuple(inst, keyIndex).map(([s, i]) => new EvictL1(s, i)),
    fc.constantFrom<LoaderMode>('ok', 'ok', 'slow', 'fail', 'hang').map((m) => new SetMode(m)),
  ];
  if (withOutages) base.push(fc.constant(new L2Down()), fc.constant(new L2Down()), fc.constant(new L2Up()));
  return base;
}
