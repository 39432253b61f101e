import { GRAFANA_SCOPE, type PromQuery } from '../src/observability/promql/query.ts';
import type { FieldConfig, Panel, Target, ValueMapping } from './model.ts';

/** Panels, their targets and their place on Grafana's grid, from short specs. */

export const DS = { type: 'prometheus', uid: '${datasource}' } as const;

export interface TargetSpec {
  expr: string;
  legend: string;
  /** Exemplars: on for latency (histogram) queries. Defaults to `expr` containing `_bucket`. */
  exemplar?: boolean;
  instant?: boolean;
  format?: 'time_series' | 'table';
}

export interface PanelSpec {
  type?: 'timeseries' | 'stat' | 'table' | 'bargauge';
  title: string;
  description: string;
  unit: string;
  targets: TargetSpec[];
  w?: number;
  h?: number;
  min?: number;
  max?: number;
  decimals?: number;
  thresholds?: { color: string; value: number | null }[];
  mappings?: ValueMapping[];
  stack?: boolean;
  /** Stat panels: how to colour. */
  colorMode?: 'value' | 'background' | 'none';
}

export interface RowSpec {
  title: string;
  description: string;
  panels: PanelSpec[];
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function target(spec: TargetSpec, index: number): Target {
  const instant = spec.instant ?? false;
  const t: Target = {
    refId: REF_IDS.charAt(index),
    datasource: { ...DS },
    expr: spec.expr,
    legendFormat: spec.legend,
    range: !instant,
    instant,
    exemplar: spec.exemplar ?? spec.expr.includes('_bucket'),
  };
  if (spec.format !== undefined) t.format = spec.format;
  return t;
}

function panelOptions(spec: PanelSpec): Record<string, unknown> {
  switch (spec.type ?? 'timeseries') {
    case 'stat':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        orientation: 'auto',
        textMode: 'auto',
        colorMode: spec.colorMode ?? 'value',
        graphMode: 'area',
        justifyMode: 'auto',
        showPercentChange: false,
        wideLayout: true,
      };
    case 'bargauge':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        orientation: 'horizontal',
        displayMode: 'gradient',
        showUnfilled: true,
        valueMode: 'color',
        namePlacement: 'auto',
        minVizHeight: 16,
        minVizWidth: 8,
        maxVizHeight: 300,
        sizing: 'auto',
      };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], countRows: false } };
    default:
      return {
        legend: { displayMode: 'table', placement: 'right', showLegend: true, calcs: ['mean', 'lastNotNull', 'max'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
  }
}

function fieldConfig(spec: PanelSpec): FieldConfig {
  const defaults: FieldConfig['defaults'] = { unit: spec.unit };
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (spec.decimals !== undefined) defaults.decimals = spec.decimals;
  defaults.color = {
    mode: spec.thresholds !== undefined || spec.mappings !== undefined ? 'thresholds' : 'palette-classic',
  };
  defaults.thresholds = {
    mode: 'absolute',
    steps: spec.thresholds ?? [{ color: 'green', value: null }],
  };
  if (spec.mappings !== undefined) defaults.mappings = spec.mappings;
  if ((spec.type ?? 'timeseries') === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: spec.stack === true ? 30 : 10,
      showPoints: 'never',
      spanNulls: false,
      stacking: spec.stack === true ? 'normal' : 'none',
      axisSoftMin: 0,
    };
  }
  return { defaults, overrides: [] };
}

/**
 * Lays out rows of panels on Grafana's 24-column grid. Panel ids are assigned
 * in order, so they are stable as long as the spec order is.
 */
export function layout(rows: RowSpec[]): Panel[] {
  const panels: Panel[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      description: row.description,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const spec of row.panels) {
      const w = spec.w ?? 12;
      const h = spec.h ?? 8;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push({
        id: id++,
        type: spec.type ?? 'timeseries',
        title: spec.title,
        description: spec.description,
        datasource: { ...DS },
        gridPos: { h, w, x, y },
        targets: spec.targets.map(target),
        fieldConfig: fieldConfig(spec),
        options: panelOptions(spec),
      });
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return panels;
}

/** A panel target from a shared query definition, run in Grafana's scope. */
export function from(query: PromQuery, overrides: Partial<TargetSpec> = {}): TargetSpec {
  return { expr: query.expr(GRAFANA_SCOPE), legend: query.legend, ...overrides };
}

export const RATIO_THRESHOLDS = [
  { color: 'red', value: null },
  { color: 'orange', value: 0.5 },
  { color: 'green', value: 0.8 },
];
