import 'uplot/dist/uPlot.min.css';
import './console.css';
import { AdminPanel } from './admin.ts';
import { getData, HttpError, readEvents, setToken } from './api.ts';
import { CHARTS, type ConsoleMeta } from './chart-defs.ts';
import { ChartView } from './charts.ts';
import { byId, el } from './dom.ts';
import { type CacheStatus, type ClusterView, renderCluster, renderEvictions, renderTiles } from './panels.ts';
import { type Sample, SeriesStore } from './store.ts';

const range = byId<HTMLSelectElement>('range');
const sourceSelect = byId<HTMLSelectElement>('source');
const notice = byId<HTMLParagraphElement>('notice');
const pills = byId<HTMLDivElement>('pills');
const chartsHost = byId<HTMLElement>('charts');
const store = new SeriesStore(Number(range.value));
const charts = CHARTS.map((def) => new ChartView(def, chartsHost));
const admin = new AdminPanel();
let meta: ConsoleMeta | undefined;
let status: CacheStatus | undefined;
let live: AbortController | undefined;
let streaming = false;
let renderQueued = false;
/** What the charts show: this instance's own history (live stream) or the fleet through Prometheus. */
let source: 'local' | 'fleet' = 'local';
let fleetTimer: ReturnType<typeof setInterval> | undefined;

/** GET /console/api/fleet: the local history's shape, from the dashboards' queries on Prometheus. */
interface FleetWindow {
  t: number[];
  series: Record<string, (number | null)[]>;
  failed: { query: string; error: string }[];
}

function showNotice(text: string | undefined): void {
  notice.hidden = text === undefined;
  notice.textContent = text ?? '';
}

function render(): void {
  renderQueued = false;
  if (!meta) return;
  for (const chart of charts) chart.update(store, meta);
  // The fleet's circuit and bus are its series; this instance's status would speak for one of many.
  renderTiles(byId('tiles'), store, meta, source === 'fleet' ? undefined : status);
  renderEvictions(byId<HTMLTableElement>('evictions'), store, meta);
  renderPills();
}

function queueRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

function renderPills(): void {
  const age = store.last === undefined ? undefined : Math.round((Date.now() - store.last) / 1000);
  if (source === 'fleet') {
    pills.replaceChildren(
      el('span', { class: 'pill ok', 'data-pill': 'fleet' }, `fleet · job ${meta?.fleet?.job ?? '–'}`),
      el('span', { class: 'pill' }, age === undefined ? 'no samples yet' : `newest point ${age}s ago`),
      el('span', { class: 'pill' }, `${meta?.fleet?.rateWindow ?? '–'} rates via Prometheus`),
    );
    return;
  }
  pills.replaceChildren(
    el('span', { class: `pill ${streaming ? 'ok' : 'bad'}`, 'data-pill': 'live' }, streaming ? 'live' : 'reconnecting'),
    el('span', { class: 'pill' }, age === undefined ? 'no samples yet' : `last sample ${age}s ago`),
    el('span', { class: 'pill' }, `window ${meta?.windowSeconds ?? '–'}s rates`),
  );
}

function handleError(error: unknown): void {
  if (error instanceof HttpError && error.status === 401)
    showNotice('This service sets METRICS_TOKEN: enter it above to see the console.');
  else showNotice(`Cannot reach the service: ${(error as Error).message}`);
}

async function loadFleet(): Promise<void> {
  const body = await getData<FleetWindow>(`/console/api/fleet?seconds=${store.windowSeconds}`);
  if (source !== 'fleet') return;
  store.reset(body.t, body.series);
  const first = body.failed[0];
  showNotice(first ? `Prometheus: ${body.failed.length} queries failed (${first.query}: ${first.error})` : undefined);
  queueRender();
}

function pollFleet(): void {
  void loadFleet().catch(handleError);
}

/** Switches the charts between this instance (live stream) and the fleet (polled from Prometheus). */
function setSource(next: 'local' | 'fleet'): void {
  source = next;
  document.body.dataset['source'] = next;
  if (fleetTimer !== undefined) clearInterval(fleetTimer);
  fleetTimer = undefined;
  if (next === 'fleet') {
    live?.abort();
    streaming = false;
    store.reset([], {});
    pollFleet();
    fleetTimer = setInterval(pollFleet, 5000);
  } else {
    store.reset([], {});
    void follow();
  }
  queueRender();
}

async function loadHistory(): Promise<void> {
  const body = await getData<{ t: number[]; series: Record<string, (number | null)[]> }>(
    `/console/api/history?seconds=${store.windowSeconds}`,
  );
  if (source !== 'local') return;
  store.reset(body.t, body.series);
  queueRender();
}

/** Fetches the history, then follows the live stream; reconnects (and refetches) when it drops. */
async function follow(): Promise<void> {
  live?.abort();
  const abort = new AbortController();
  live = abort;
  while (!abort.signal.aborted) {
    try {
      meta = await getData<ConsoleMeta>('/console/api/meta');
      byId('source-control').hidden = meta.fleet === undefined;
      await loadHistory();
      showNotice(undefined);
      streaming = true;
      queueRender();
      await readEvents('/console/api/stream', abort.signal, (event, data) => {
        if (event !== 'sample' || !meta || source !== 'local') return;
        const sample = JSON.parse(data) as Sample;
        const gap = store.last !== undefined && sample.t - store.last > meta.intervalMs * 2.5;
        store.append(sample);
        if (gap) void loadHistory().catch(handleError);
        queueRender();
      });
    } catch (error) {
      if (abort.signal.aborted) return;
      handleError(error);
    }
    streaming = false;
    queueRender();
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function pollStatus(): Promise<void> {
  try {
    status = await getData<CacheStatus>('/console/api/status');
    queueRender();
  } catch {
    // shown by the stream's own error handling
  }
}

async function pollCluster(): Promise<void> {
  try {
    renderCluster(byId<HTMLTableElement>('cluster'), await getData<ClusterView>('/console/api/cluster'));
  } catch {
    // as above
  }
}

byId<HTMLInputElement>('metrics-token').addEventListener('change', (e) => {
  setToken('metrics', (e.target as HTMLInputElement).value);
  if (source === 'fleet') pollFleet();
  else void follow();
  void pollStatus();
  void pollCluster();
});
byId<HTMLInputElement>('admin-token').addEventListener('change', (e) => {
  setToken('admin', (e.target as HTMLInputElement).value);
  void admin.refreshHotKeys();
});
range.addEventListener('change', () => {
  store.windowSeconds = Number(range.value);
  if (source === 'fleet') pollFleet();
  else void loadHistory().catch(handleError);
});
sourceSelect.addEventListener('change', () => setSource(sourceSelect.value === 'fleet' ? 'fleet' : 'local'));
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  for (const chart of charts) chart.rebuild();
  queueRender();
});
new ResizeObserver(() => {
  for (const chart of charts) chart.resize();
}).observe(chartsHost);

document.body.dataset['source'] = source;
void follow();
void pollStatus();
void pollCluster();
setInterval(() => void pollStatus(), 2000);
setInterval(() => void pollCluster(), 5000);
setInterval(() => void admin.refreshHotKeys(), 3000);
setInterval(renderPills, 1000);
