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

function showNotice(text: string | undefined): void {
  notice.hidden = text === undefined;
  notice.textContent = text ?? '';
}

function render(): void {
  renderQueued = false;
  if (!meta) return;
  for (const chart of charts) chart.update(store, meta);
  renderTiles(byId('tiles'), store, meta, status);
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

async function loadHistory(): Promise<void> {
  const body = await getData<{ t: number[]; series: Record<string, (number | null)[]> }>(
    `/console/api/history?seconds=${store.windowSeconds}`,
  );
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
      await loadHistory();
      showNotice(undefined);
      streaming = true;
      queueRender();
      await readEvents('/console/api/stream', abort.signal, (event, data) => {
        if (event !== 'sample' || !meta) return;
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
  void follow();
  void pollStatus();
  void pollCluster();
});
byId<HTMLInputElement>('admin-token').addEventListener('change', (e) => {
  setToken('admin', (e.target as HTMLInputElement).value);
  void admin.refreshHotKeys();
});
range.addEventListener('change', () => {
  store.windowSeconds = Number(range.value);
  void loadHistory().catch(handleError);
});
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  for (const chart of charts) chart.rebuild();
  queueRender();
});
new ResizeObserver(() => {
  for (const chart of charts) chart.resize();
}).observe(chartsHost);

void follow();
void pollStatus();
void pollCluster();
setInterval(() => void pollStatus(), 2000);
setInterval(() => void pollCluster(), 5000);
setInterval(() => void admin.refreshHotKeys(), 3000);
setInterval(renderPills, 1000);
