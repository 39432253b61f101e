import type { ConsoleMeta } from './chart-defs.ts';
import { el, formatBytes, formatNumber, formatPercent, formatSeconds } from './dom.ts';
import type { SeriesStore } from './store.ts';

export interface CacheStatus {
  l1: { entries: number; bytes: number };
  l2: { circuit?: string; clusterStatus?: string; lastError?: { at: string; message: string }; disabled?: true };
  bus: { healthy?: boolean; disabled?: true };
  pendingInvalidations: number;
}

export interface ClusterView {
  status: string;
  error?: string;
  nodes: {
    address: string;
    role: string;
    replicaOf?: string;
    slotRanges: [number, number][];
    slots: number;
    reachable: boolean;
    flaggedFailing: boolean;
    pingMs?: number;
  }[];
}

type Level = 'ok' | 'warn' | 'bad' | 'off';

function tile(id: string, label: string, value: string, detail: string, level: Level = 'ok'): HTMLElement {
  return el(
    'div',
    { class: `tile ${level}`, 'data-tile': id },
    el('span', { class: 'label' }, label),
    el('span', { class: 'value' }, value),
    el('span', { class: 'detail' }, detail),
  );
}

/** hits / (hits + misses + stale): the definition of the hit-ratio query and recording rule. */
function tierRatio(store: SeriesStore, tier: string): { ratio: number | null; rate: number } {
  const hit = store.latest(`requests.${tier}.hit`) ?? 0;
  const total = hit + (store.latest(`requests.${tier}.stale`) ?? 0) + (store.latest(`requests.${tier}.miss`) ?? 0);
  return { ratio: total > 0 ? hit / total : null, rate: total };
}

/** The "now" row: one number per question, coloured by whether it needs a look. */
export function renderTiles(
  host: HTMLElement,
  store: SeriesStore,
  meta: ConsoleMeta,
  status: CacheStatus | undefined,
): void {
  const l1 = tierRatio(store, 'l1');
  const l2 = tierRatio(store, 'l2');
  const circuit = status?.l2.disabled ? 'disabled' : (status?.l2.circuit ?? circuitName(store.latest('circuit')));
  const errors = store.latest('l2_errors') ?? 0;
  const entries = store.latest('l1.entries');
  const bytes = store.latest('l1.bytes');
  const rps = store.latest('http.rps');
  const http5xx = store.latest('http.errors') ?? 0;
  const busHealthy = status?.bus.disabled ? undefined : status?.bus.healthy;
  host.replaceChildren(
    tile(
      'l1-hit-ratio',
      'L1 hit ratio',
      formatPercent(l1.ratio),
      `${formatNumber(l1.rate)} lookups/s`,
      level(l1.ratio, 0.8, 0.5),
    ),
    tile(
      'l2-hit-ratio',
      'L2 hit ratio',
      formatPercent(l2.ratio),
      `${formatNumber(l2.rate)} lookups/s`,
      level(l2.ratio, 0.5, 0.2),
    ),
    tile(
      'circuit',
      'L2 circuit',
      circuit,
      status?.l2.lastError && circuit !== 'closed'
        ? status.l2.lastError.message.slice(0, 60)
        : `${status?.l2.clusterStatus ?? '–'}`,
      circuit === 'closed' ? 'ok' : circuit === 'disabled' ? 'off' : circuit === 'half-open' ? 'warn' : 'bad',
    ),
    tile(
      'l2-errors',
      'L2 errors',
      `${formatNumber(errors)}/s`,
      'timeouts, connection, other',
      errors > 0 ? 'bad' : 'ok',
    ),
    tile(
      'bus',
      'Invalidation bus',
      busHealthy === undefined ? 'off' : busHealthy ? 'healthy' : 'silent',
      `${status?.pendingInvalidations ?? 0} pending`,
      busHealthy === undefined ? 'off' : busHealthy ? 'ok' : 'bad',
    ),
    tile(
      'l1-entries',
      'L1 entries',
      formatNumber(entries, 1),
      `of ${formatNumber(meta.l1Bounds.maxEntries)} · ${formatPercent((entries ?? 0) / meta.l1Bounds.maxEntries)}`,
    ),
    tile('l1-bytes', 'L1 bytes', formatBytes(bytes), `of ${formatBytes(meta.l1Bounds.maxBytes)}`),
    tile('http', 'HTTP', `${formatNumber(rps)}/s`, `p99 ${formatSeconds(store.latest('http.p99'))}`),
    tile('http-5xx', 'HTTP 5xx', `${formatNumber(http5xx)}/s`, 'server errors', http5xx > 0 ? 'bad' : 'ok'),
  );
}

function circuitName(v: number | null): string {
  return v === null ? '–' : v >= 2 ? 'open' : v >= 1 ? 'half-open' : 'closed';
}

function level(ratio: number | null, good: number, poor: number): Level {
  if (ratio === null) return 'off';
  return ratio >= good ? 'ok' : ratio >= poor ? 'warn' : 'bad';
}

const REASONS: [string, string][] = [
  ['l1', 'size'],
  ['l1', 'expired'],
  ['l1', 'invalidated'],
  ['l2', 'evicted'],
  ['l2', 'expired'],
];

export function renderEvictions(table: HTMLTableElement, store: SeriesStore, meta: ConsoleMeta): void {
  const interval = meta.intervalMs / 1000;
  const head = el(
    'tr',
    {},
    el('th', {}, 'prefix'),
    ...REASONS.map(([t, r]) => el('th', { class: 'num' }, `${t} ${r}`)),
  );
  const rows = meta.prefixes.map((prefix) =>
    el(
      'tr',
      {},
      el('td', {}, prefix),
      ...REASONS.map(([tier, reason]) => {
        const n = Math.round(store.sumLast(`evictions.${tier}.${prefix}.${reason}`, 60, interval));
        return el('td', { class: n > 0 ? 'num hot' : 'num' }, formatNumber(n));
      }),
    ),
  );
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
}

export function renderCluster(table: HTMLTableElement, view: ClusterView): void {
  const head = el(
    'tr',
    {},
    ...['node', 'role', 'slots', 'reachable', 'ping'].map((h) => el('th', { class: h === 'ping' ? 'num' : '' }, h)),
  );
  const rows = view.nodes.map((n) =>
    el(
      'tr',
      { 'data-node': n.address, 'data-reachable': String(n.reachable) },
      el('td', { class: 'mono' }, n.address),
      el('td', {}, n.role === 'replica' && n.replicaOf ? `replica of ${n.replicaOf}` : n.role),
      el('td', { class: 'mono' }, n.slotRanges.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ') || '–'),
      el(
        'td',
        { class: n.reachable && !n.flaggedFailing ? 'ok' : 'bad' },
        n.reachable ? (n.flaggedFailing ? 'yes (flagged failing)' : 'yes') : 'no',
      ),
      el('td', { class: 'num' }, n.pingMs === undefined ? '–' : `${n.pingMs.toFixed(2)} ms`),
    ),
  );
  const caption = el('caption', {}, `cluster client: ${view.status}${view.error ? ` · ${view.error}` : ''}`);
  table.replaceChildren(caption, el('thead', {}, head), el('tbody', {}, ...rows));
}
