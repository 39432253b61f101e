import type { ConsoleMeta } from '../../src/console/console-meta.ts';

/** What each chart shows: the same questions as the Grafana cache overview, from the console's series names. */
export type { ConsoleMeta };
export type Unit = 'ratio' | 'rate' | 'seconds' | 'percent' | 'state';

export interface PickedSeries {
  name: string;
  label: string;
  /** Multiplies each value (a share of a bound, for instance). */
  scale?: number;
  dash?: boolean;
}

export interface ChartDef {
  id: string;
  title: string;
  unit: Unit;
  log?: boolean;
  /** Leave out series that were zero for the whole window (many prefixes, few of them evicting). */
  hideIdle?: boolean;
  pick(names: string[], meta: ConsoleMeta): PickedSeries[];
}

const matching = (names: string[], re: RegExp, label: (m: RegExpExecArray) => string): PickedSeries[] =>
  names
    .map((name) => ({ name, m: re.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ name, m }) => ({ name, label: label(m) }));

const present = (names: string[], wanted: PickedSeries[]): PickedSeries[] =>
  wanted.filter((w) => names.includes(w.name));

export const CHARTS: ChartDef[] = [
  {
    id: 'hit-ratio-l1',
    title: 'L1 hit ratio by prefix',
    unit: 'ratio',
    pick: (names) => matching(names, /^hit_ratio\.l1\.(.+)$/, (m) => m[1]!),
  },
  {
    id: 'hit-ratio-l2',
    title: 'L2 hit ratio by prefix (lookups that missed L1)',
    unit: 'ratio',
    pick: (names) => matching(names, /^hit_ratio\.l2\.(.+)$/, (m) => m[1]!),
  },
  {
    id: 'requests',
    title: 'Lookups by tier and result /s',
    unit: 'rate',
    pick: (names) => matching(names, /^requests\.(l[12])\.(hit|stale|miss)$/, (m) => `${m[1]} ${m[2]}`),
  },
  {
    id: 'evictions',
    title: 'Evictions by tier and prefix /s',
    unit: 'rate',
    hideIdle: true,
    pick: (names) => matching(names, /^evictions\.(l[12])\.([^.]+)$/, (m) => `${m[1]} ${m[2]}`),
  },
  {
    id: 'latency-get',
    title: 'Cache get latency p50 / p99 by tier',
    unit: 'seconds',
    log: true,
    pick: (names) =>
      matching(names, /^latency\.(l[12])\.get\.(p50|p99)$/, (m) => `${m[1]} get ${m[2]}`).map((s) => ({
        ...s,
        dash: s.name.endsWith('p50'),
      })),
  },
  {
    id: 'latency-write',
    title: 'Cache set / delete latency p99 by tier',
    unit: 'seconds',
    log: true,
    pick: (names) => matching(names, /^latency\.(l[12])\.(set|delete)\.p99$/, (m) => `${m[1]} ${m[2]} p99`),
  },
  {
    id: 'l1-size',
    title: 'L1 size against its bounds',
    unit: 'percent',
    pick: (names, meta) =>
      present(names, [
        {
          name: 'l1.entries',
          label: `entries (of ${meta.l1Bounds.maxEntries.toLocaleString('en')})`,
          scale: 1 / meta.l1Bounds.maxEntries,
        },
        {
          name: 'l1.bytes',
          label: `bytes (of ${Math.round(meta.l1Bounds.maxBytes / 1048576)} MiB)`,
          scale: 1 / meta.l1Bounds.maxBytes,
        },
      ]),
  },
  {
    id: 'loads',
    title: 'Loads, coalesced lookups, lock waits /s',
    unit: 'rate',
    pick: (names) =>
      present(names, [
        { name: 'loads.success', label: 'loads ok' },
        { name: 'loads.error', label: 'loads failed' },
        { name: 'coalesced', label: 'coalesced' },
        { name: 'lock_waits', label: 'lock waits' },
        { name: 'lock_takeovers', label: 'lock takeovers' },
      ]),
  },
  {
    id: 'invalidations',
    title: 'Invalidations /s (local writes, remote messages)',
    unit: 'rate',
    pick: (names) =>
      present(names, [
        { name: 'invalidations.local', label: 'local' },
        { name: 'invalidations.remote', label: 'remote' },
      ]),
  },
  {
    id: 'bus-lag',
    title: 'Invalidation bus lag p50 / p99',
    unit: 'seconds',
    log: true,
    pick: (names) =>
      present(names, [
        { name: 'bus_lag.p50', label: 'p50', dash: true },
        { name: 'bus_lag.p99', label: 'p99' },
      ]),
  },
  {
    id: 'l2-errors',
    title: 'L2 errors /s by kind',
    unit: 'rate',
    pick: (names) => matching(names, /^l2_errors\.(.+)$/, (m) => m[1]!),
  },
  {
    id: 'circuit',
    title: 'L2 circuit (0 closed, 1 half-open, 2 open)',
    unit: 'state',
    pick: (names) => present(names, [{ name: 'circuit', label: 'circuit' }]),
  },
  {
    id: 'http-rps',
    title: 'HTTP requests /s by route',
    unit: 'rate',
    hideIdle: true,
    pick: (names) => matching(names, /^http\.rps\.(.+)$/, (m) => m[1]!),
  },
  {
    id: 'http-latency',
    title: 'HTTP latency p99 by route',
    unit: 'seconds',
    log: true,
    pick: (names) => matching(names, /^http\.(?!rps|errors)(.+ .+)\.p99$/, (m) => m[1]!),
  },
  {
    id: 'http-errors',
    title: 'HTTP 5xx /s',
    unit: 'rate',
    pick: (names) => [
      ...present(names, [{ name: 'http.errors', label: 'all routes' }]),
      ...matching(names, /^http\.errors\.(.+)$/, (m) => m[1]!),
    ],
  },
];

/** Labels with this many characters or fewer keep the legend on a laptop screen. */
export function shortLabel(label: string): string {
  return label.length > 34 ? `${label.slice(0, 33)}…` : label;
}
