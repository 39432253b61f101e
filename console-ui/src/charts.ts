import uPlot from 'uplot';
import { type ChartDef, type ConsoleMeta, type PickedSeries, shortLabel, type Unit } from './chart-defs.ts';
import { el, formatNumber, formatPercent, formatSeconds } from './dom.ts';
import type { SeriesStore } from './store.ts';

const PALETTE = [
  '#3b82f6',
  '#f59e0b',
  '#10b981',
  '#ef4444',
  '#8b5cf6',
  '#ec4899',
  '#14b8a6',
  '#84cc16',
  '#f97316',
  '#6366f1',
  '#06b6d4',
  '#a3a3a3',
];

function format(unit: Unit, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  switch (unit) {
    case 'ratio':
    case 'percent':
      return formatPercent(v);
    case 'seconds':
      return formatSeconds(v);
    case 'state':
      return v >= 2 ? 'open' : v >= 1 ? 'half-open' : 'closed';
    default:
      return formatNumber(v);
  }
}

function clock(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}

function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/**
 * One chart: a uPlot instance rebuilt when its set of series changes (a route seen for the first
 * time), otherwise fed new data in place. The container carries what the browser tests read:
 * how many non-empty points it holds and the time of the newest.
 */
export class ChartView {
  readonly root: HTMLElement;
  private readonly plotHost: HTMLElement;
  private plot: uPlot | undefined;
  private signature = '';
  private picked: PickedSeries[] = [];

  constructor(
    readonly def: ChartDef,
    parent: HTMLElement,
  ) {
    this.plotHost = el('div', { class: 'plot' });
    this.root = el('figure', { class: 'chart', 'data-chart': def.id }, el('figcaption', {}, def.title), this.plotHost);
    this.root.hidden = true;
    parent.append(this.root);
  }

  update(store: SeriesStore, meta: ConsoleMeta): void {
    this.picked = this.def.pick(store.names(), meta);
    if (this.def.hideIdle) {
      const busy = this.picked.filter((p) => store.series.get(p.name)?.some((v) => v !== null && v !== 0));
      this.picked = busy.length > 0 ? busy : this.picked.slice(0, 1);
    }
    // A chart whose metric this build does not export (or no route yet) stays out of the way.
    this.root.hidden = this.picked.length === 0;
    if (this.picked.length === 0) return;
    const x = store.t.map((t) => t / 1000);
    const ys = this.picked.map((p) => {
      const values = store.series.get(p.name) ?? [];
      return values.map((v) => (v === null ? null : v * (p.scale ?? 1)));
    });
    const signature = this.picked.map((p) => p.name).join('|');
    if (!this.plot || signature !== this.signature) {
      this.signature = signature;
      this.rebuild();
    }
    this.plot!.setData([x, ...ys] as uPlot.AlignedData);
    // With the pointer elsewhere the legend shows the newest values rather than dashes.
    if (this.plot!.cursor.left === undefined || this.plot!.cursor.left < 0) this.plot!.setLegend({ idx: x.length - 1 });
    let points = 0;
    for (const y of ys) for (const v of y) if (v !== null) points++;
    this.root.dataset['points'] = String(points);
    this.root.dataset['lastT'] = String(store.last ?? 0);
    this.root.dataset['series'] = String(this.picked.length);
    this.root.dataset['labels'] = this.picked.map((p) => p.label).join('|');
  }

  resize(): void {
    if (this.plot) this.plot.setSize({ width: this.width(), height: 170 });
  }

  /** Colours come from the stylesheet, so a change of colour scheme needs new axes. */
  rebuild(): void {
    this.plot?.destroy();
    const fg = themeColor('--muted');
    const grid = themeColor('--grid');
    const unit = this.def.unit;
    const axis: uPlot.Axis = {
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      font: '11px system-ui, sans-serif',
    };
    this.plot = new uPlot(
      {
        width: this.width(),
        height: 170,
        legend: { show: true, live: true },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true },
          y:
            unit === 'ratio' || unit === 'percent'
              ? { range: (_u, _min, max) => [0, Math.max(1, max)] }
              : unit === 'state'
                ? { range: [0, 2] }
                : this.def.log
                  ? { distr: 3 }
                  : { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          { ...axis, space: 70, values: (_u, ticks) => ticks.map(clock) },
          {
            ...axis,
            size: 66,
            // On a log scale only the decades are labelled; the minor grid lines between them stay bare.
            values: (_u, ticks) =>
              ticks.map((v) =>
                this.def.log && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) > 1e-9 ? '' : format(unit, v),
              ),
          },
        ],
        series: [
          { label: 'at', value: (_u: uPlot, v: number | null) => (v === null ? '–' : clock(v)) },
          ...this.picked.map((p, i) => ({
            label: shortLabel(p.label),
            stroke: PALETTE[i % PALETTE.length]!,
            width: 1.5,
            ...(p.dash ? { dash: [4, 3] } : {}),
            spanGaps: false,
            points: { show: false },
            value: (_u: uPlot, v: number | null) => format(unit, v),
          })),
        ],
      },
      undefined,
      this.plotHost,
    );
  }

  private width(): number {
    return Math.max(280, this.plotHost.clientWidth || this.root.clientWidth - 16);
  }
}
