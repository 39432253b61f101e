/**
 * Source of truth for the Grafana dashboards in this folder.
 *
 * The committed `*.json` files are generated from this module:
 *
 *   node --import tsx dashboards/build.ts          # rewrite the JSON files
 *   node --import tsx dashboards/build.ts --check  # exit 1 if they are stale
 *
 * test/dashboards-lint.test.ts fails when the committed JSON differs from what
 * this module produces, and lints the JSON the way Grafana's dashboard linter
 * would (datasource variable, job/instance filters, $__rate_interval, units,
 * descriptions, stable uids, links, exemplars).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_TAG = 'flower-shop';

export const DASHBOARD_UIDS = {
  cacheOverview: 'flower-cache-overview',
  shopApi: 'flower-shop-api',
  redisCluster: 'flower-redis-cluster',
} as const;

export const DASHBOARD_FILES: Record<string, string> = {
  'cache-overview.json': DASHBOARD_UIDS.cacheOverview,
  'shop-api.json': DASHBOARD_UIDS.shopApi,
  'redis-cluster.json': DASHBOARD_UIDS.redisCluster,
};

const DS = { type: 'prometheus', uid: '${datasource}' } as const;

/** The label filter every selector on every dashboard carries. */
const F = 'job=~"$job", instance=~"$instance"';
/** Cache dashboard selectors for metrics that carry a `prefix` label. */
const FP = `${F}, prefix=~"$prefix"`;

// ---------------------------------------------------------------------------
// Grafana JSON model (the subset we emit)
// ---------------------------------------------------------------------------

export interface DatasourceRef {
  type: string;
  uid: string;
}

export interface Target {
  refId: string;
  datasource: DatasourceRef;
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  exemplar: boolean;
  format?: 'time_series' | 'table';
}

export interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}

export interface ValueMapping {
  type: 'value';
  options: Record<string, { text: string; color: string; index: number }>;
}

export interface FieldConfig {
  defaults: {
    unit: string;
    min?: number;
    max?: number;
    decimals?: number;
    color?: { mode: string };
    thresholds?: { mode: 'absolute'; steps: { color: string; value: number | null }[] };
    mappings?: ValueMapping[];
    custom?: Record<string, string | number | boolean>;
  };
  overrides: never[];
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description: string;
  gridPos: GridPos;
  datasource?: DatasourceRef;
  targets?: Target[];
  fieldConfig?: FieldConfig;
  options?: Record<string, unknown>;
  collapsed?: boolean;
  panels?: Panel[];
}

export interface Variable {
  name: string;
  label: string;
  type: 'datasource' | 'query';
  query: string | { query: string; refId: string; qryType?: number };
  definition?: string;
  datasource?: DatasourceRef;
  current: { selected: boolean; text: string | string[]; value: string | string[] };
  hide: number;
  includeAll: boolean;
  multi: boolean;
  allValue?: string;
  options: never[];
  refresh: number;
  regex: string;
  skipUrlSync: boolean;
  sort?: number;
}

export interface DashboardLink {
  title: string;
  type: 'dashboards' | 'link';
  tags: string[];
  asDropdown: boolean;
  includeVars: boolean;
  keepTime: boolean;
  targetBlank: boolean;
  icon: string;
  tooltip: string;
  url: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  editable: boolean;
  graphTooltip: number;
  schemaVersion: number;
  version: number;
  time: { from: string; to: string };
  timepicker: Record<string, never>;
  timezone: string;
  refresh: string;
  fiscalYearStartMonth: number;
  liveNow: boolean;
  weekStart: string;
  links: DashboardLink[];
  annotations: { list: Record<string, unknown>[] };
  templating: { list: Variable[] };
  panels: Panel[];
}

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

interface TargetSpec {
  expr: string;
  legend: string;
  /** Exemplars: on for latency (histogram) queries. Defaults to `expr` containing `_bucket`. */
  exemplar?: boolean;
  instant?: boolean;
  format?: 'time_series' | 'table';
}

interface PanelSpec {
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

interface RowSpec {
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
function layout(rows: RowSpec[]): Panel[] {
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

function datasourceVariable(): Variable {
  return {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: { selected: false, text: 'Prometheus', value: 'prometheus' },
    hide: 0,
    includeAll: false,
    multi: false,
    options: [],
    refresh: 1,
    regex: '',
    skipUrlSync: false,
  };
}

function queryVariable(
  name: string,
  label: string,
  query: string,
  opts: { defaultValue: string; includeAll: boolean; multi: boolean },
): Variable {
  const v: Variable = {
    name,
    label,
    type: 'query',
    datasource: { ...DS },
    query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    definition: query,
    current: {
      selected: true,
      text: opts.multi ? [opts.defaultValue === '$__all' ? 'All' : opts.defaultValue] : opts.defaultValue,
      value: opts.multi ? [opts.defaultValue] : opts.defaultValue,
    },
    hide: 0,
    includeAll: opts.includeAll,
    multi: opts.multi,
    options: [],
    refresh: 2,
    regex: '',
    skipUrlSync: false,
    sort: 1,
  };
  // '.+' (the linter's rule): 'All' must not match series that lack the label.
  if (opts.includeAll) v.allValue = '.+';
  return v;
}

/** job + instance variables driven by a metric only that dashboard's job exposes. */
function jobInstanceVariables(metric: string, defaultJob: string): Variable[] {
  return [
    queryVariable('job', 'Job', `label_values(${metric}, job)`, {
      defaultValue: defaultJob,
      includeAll: false,
      multi: true,
    }),
    queryVariable('instance', 'Instance', `label_values(${metric}{job=~"$job"}, instance)`, {
      defaultValue: '$__all',
      includeAll: true,
      multi: true,
    }),
  ];
}

function links(selfUid: string): DashboardLink[] {
  const others: { uid: string; title: string }[] = [
    { uid: DASHBOARD_UIDS.cacheOverview, title: 'Cache overview' },
    { uid: DASHBOARD_UIDS.shopApi, title: 'Shop API' },
    { uid: DASHBOARD_UIDS.redisCluster, title: 'Redis cluster' },
  ].filter((d) => d.uid !== selfUid);
  return [
    {
      title: 'Flower shop',
      type: 'dashboards',
      tags: [DASHBOARD_TAG],
      asDropdown: true,
      includeVars: false,
      keepTime: true,
      targetBlank: false,
      icon: 'external link',
      tooltip: 'All flower-shop dashboards',
      url: '',
    },
    ...others.map(
      (d): DashboardLink => ({
        title: d.title,
        type: 'link',
        tags: [],
        asDropdown: false,
        // job/instance differ between dashboards (api vs redis), so only the
        // datasource and time range are carried over.
        includeVars: false,
        keepTime: true,
        targetBlank: false,
        icon: 'dashboard',
        tooltip: `Open the ${d.title} dashboard`,
        url: `/d/${d.uid}?\${datasource:queryparam}`,
      }),
    ),
  ];
}

function dashboard(opts: {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: Variable[];
  rows: RowSpec[];
  /** A gauge holding each process's start time: its changes are restarts (and deploys). */
  startTimeMetric: string;
}): Dashboard {
  return {
    uid: opts.uid,
    title: opts.title,
    description: opts.description,
    tags: [DASHBOARD_TAG, ...opts.tags],
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    refresh: '30s',
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    links: links(opts.uid),
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
        ...eventAnnotations(opts.startTimeMetric),
      ],
    },
    templating: { list: [datasourceVariable(), ...opts.variables] },
    panels: layout(opts.rows),
  };
}

/**
 * Restarts (a change of the start-time gauge: a crash, a deploy) and firing alerts, marked on
 * every panel, so "did a restart happen then?" and "what was firing?" are answered in place.
 */
export const RESTART_ANNOTATION = 'Restarts';
export const ALERTS_ANNOTATION = 'Firing alerts';

function eventAnnotations(startTimeMetric: string): Record<string, unknown>[] {
  return [
    {
      name: RESTART_ANNOTATION,
      datasource: { ...DS },
      enable: true,
      hide: false,
      iconColor: 'orange',
      expr: `changes(${startTimeMetric}{${F}}[2m]) > 0`,
      step: '1m',
      titleFormat: 'Restart',
      textFormat: '{{instance}} restarted',
      tagKeys: 'job,instance',
      useValueForTime: false,
    },
    {
      name: ALERTS_ANNOTATION,
      datasource: { ...DS },
      enable: true,
      hide: false,
      iconColor: 'red',
      expr: 'ALERTS{alertstate="firing", alertname!="Watchdog"}',
      step: '1m',
      titleFormat: '{{alertname}}',
      textFormat: '{{severity}}: {{alertname}}',
      tagKeys: 'alertname,severity',
      useValueForTime: false,
    },
  ];
}

// ---------------------------------------------------------------------------
// PromQL helpers
// ---------------------------------------------------------------------------

const RI = '[$__rate_interval]';

function rate(selector: string): string {
  return `rate(${selector}${RI})`;
}

function quantiles(metric: string, filter: string, by: string): TargetSpec[] {
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (le, ${by}) (${rate(`${metric}_bucket{${filter}}`)}))`,
    legend: `p${Math.round(q * 100)} ${by
      .split(',')
      .map((l) => `{{${l.trim()}}}`)
      .join(' ')}`,
    exemplar: true,
  }));
}

const RATIO_THRESHOLDS = [
  { color: 'red', value: null },
  { color: 'orange', value: 0.5 },
  { color: 'green', value: 0.8 },
];

/**
 * hits / (hits + misses + stale) — the same definition as prefix_tier:cache_hit_ratio:rate10m.
 * A prefix that has never hit has no result="hit" series; it shows as 0 rather than vanishing.
 */
function hitRatio(by: string): string {
  const all = `sum by (${by}) (${rate(`cache_requests_total{${FP}}`)})`;
  return `(\n  sum by (${by}) (${rate(`cache_requests_total{${FP}, result="hit"}`)})\n  or\n  ${all} * 0\n)\n/\n${all}`;
}

// ---------------------------------------------------------------------------
// Dashboards
// ---------------------------------------------------------------------------

export function cacheOverview(): Dashboard {
  return dashboard({
    uid: DASHBOARD_UIDS.cacheOverview,
    startTimeMetric: 'process_start_time_seconds',
    title: 'Flower shop / Cache overview',
    description:
      'Two-tier cache (in-process LRU "l1" + Redis Cluster "l2"): is it healthy, where does it hit or miss, and why.',
    tags: ['cache', 'redis'],
    variables: [
      ...jobInstanceVariables('cache_requests_total', 'flower-shop-api'),
      queryVariable(
        'prefix',
        'Key prefix',
        'label_values(cache_requests_total{job=~"$job", instance=~"$instance"}, prefix)',
        {
          defaultValue: '$__all',
          includeAll: true,
          multi: true,
        },
      ),
    ],
    rows: [
      {
        title: 'Health',
        description: 'Is the cache doing its job right now?',
        panels: [
          {
            type: 'bargauge',
            title: 'Hit ratio now by prefix and tier',
            description:
              'hits / (hits + misses + stale) per key prefix and tier over the last rate interval. L1 below 80% or L2 below 50% with traffic pages (CacheHitRatioLow).',
            unit: 'percentunit',
            min: 0,
            max: 1,
            thresholds: RATIO_THRESHOLDS,
            w: 10,
            targets: [{ expr: hitRatio('tier, prefix'), legend: '{{tier}} {{prefix}}', instant: true }],
          },
          {
            type: 'stat',
            title: 'L2 circuit breaker',
            description:
              'State of the Redis (L2) circuit breaker per API instance: 0 closed (Redis used), 1 half-open (probing), 2 open (Redis bypassed, every L1 miss goes to SQLite). Open for more than 1m fires CacheL2Unavailable.',
            unit: 'none',
            w: 6,
            colorMode: 'background',
            thresholds: [
              { color: 'green', value: null },
              { color: 'orange', value: 1 },
              { color: 'red', value: 2 },
            ],
            mappings: [
              {
                type: 'value',
                options: {
                  '0': { text: 'closed', color: 'green', index: 0 },
                  '1': { text: 'half-open', color: 'orange', index: 1 },
                  '2': { text: 'open', color: 'red', index: 2 },
                },
              },
            ],
            targets: [{ expr: `max by (instance) (cache_l2_circuit_state{${F}})`, legend: '{{instance}}' }],
          },
          {
            title: 'L2 errors',
            description:
              'Redis (L2) errors per second by operation and kind (timeout, connection, other). Sustained errors open the circuit breaker.',
            unit: 'ops',
            w: 8,
            stack: true,
            targets: [
              {
                expr: `sum by (operation, kind) (${rate(`cache_l2_errors_total{${F}}`)})`,
                legend: '{{operation}} {{kind}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Where',
        description: 'Which prefixes and tiers hit, miss or serve stale data, over time.',
        panels: [
          {
            title: 'Hit ratio by prefix and tier',
            description:
              'hits / (hits + misses + stale) per prefix and tier over time. A drop of more than 20 points against the same hour yesterday, for 15m, fires CacheHitRatioDropped (compare with a 1d time shift).',
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [{ expr: hitRatio('tier, prefix'), legend: '{{tier}} {{prefix}}' }],
          },
          {
            title: 'Cache requests by tier and result',
            description:
              'Lookups per second per tier, split into hit, miss and stale. Lines, not a stack: an L2 lookup is an L1 miss, so adding L1 and L2 would count it twice.',
            unit: 'reqps',
            targets: [
              {
                expr: `sum by (tier, result) (${rate(`cache_requests_total{${FP}}`)})`,
                legend: '{{tier}} {{result}}',
              },
            ],
          },
          {
            title: 'Cache requests by prefix',
            description: 'Lookups per second per key prefix and tier (all results).',
            unit: 'reqps',
            w: 24,
            targets: [
              {
                expr: `sum by (tier, prefix) (${rate(`cache_requests_total{${FP}}`)})`,
                legend: '{{tier}} {{prefix}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Why',
        description: 'Evictions, latency, size, loads, coalescing and invalidations explain the hit ratio.',
        panels: [
          {
            title: 'L1 evictions by prefix and reason',
            description:
              'In-process LRU removals per second: size (LRU full), expired (TTL), invalidated (writes or remote invalidation). A jump far above the last hour fires CacheEvictionStorm.',
            unit: 'ops',
            stack: true,
            targets: [
              {
                expr: `sum by (prefix, reason) (${rate(`cache_evictions_total{${FP}, tier="l1"}`)})`,
                legend: '{{prefix}} {{reason}}',
              },
            ],
          },
          {
            title: 'L2 evictions by prefix and reason',
            description:
              'Redis removals per second seen through keyspace notifications: evicted (maxmemory policy) and expired (TTL).',
            unit: 'ops',
            stack: true,
            targets: [
              {
                expr: `sum by (prefix, reason) (${rate(`cache_evictions_total{${FP}, tier="l2"}`)})`,
                legend: '{{prefix}} {{reason}}',
              },
            ],
          },
          {
            title: 'Cache operation latency p50/p95/p99',
            description:
              'Per tier and operation (get/set/delete). L1 gets are timed for 1 in 16 gets (a sample: the percentiles hold, counts would not). Bounds for CacheLatencyP99High: l1 p99 1ms, l2 p99 25ms. Exemplar dots (sampled traces) link to the trace in Tempo.',
            unit: 's',
            w: 24,
            h: 9,
            targets: quantiles('cache_operation_duration_seconds', FP, 'tier, operation'),
          },
          {
            title: 'L1 entries by prefix',
            description: 'Entries currently held in the in-process LRU, summed over the selected instances.',
            unit: 'short',
            stack: true,
            targets: [{ expr: `sum by (prefix) (cache_entries{${FP}, tier="l1"})`, legend: '{{prefix}}' }],
          },
          {
            title: 'L1 size',
            description:
              'Approximate bytes held by the in-process LRU per instance (the LRU evicts by size when it reaches its limit).',
            unit: 'bytes',
            targets: [{ expr: `sum by (instance) (cache_size_bytes{${F}, tier="l1"})`, legend: '{{instance}}' }],
          },
          {
            title: 'Loads from the database',
            description:
              'Cache-miss loads (loader calls, i.e. SQLite reads) per second by prefix and result. Errors here surface as 5xx.',
            unit: 'ops',
            stack: true,
            targets: [
              {
                expr: `sum by (prefix, result) (${rate(`cache_loads_total{${FP}}`)})`,
                legend: '{{prefix}} {{result}}',
              },
            ],
          },
          {
            title: 'Load duration p50/p95/p99',
            description: 'Time a loader takes on a full miss, per prefix. Exemplars link to the trace.',
            unit: 's',
            targets: quantiles('cache_load_duration_seconds', FP, 'prefix'),
          },
          {
            title: 'Coalesced requests',
            description:
              'Requests per second that joined an in-flight load for the same key instead of hitting the database (single-flight).',
            unit: 'reqps',
            targets: [
              {
                expr: `sum by (prefix) (${rate(`cache_coalesced_requests_total{${FP}}`)})`,
                legend: '{{prefix}}',
              },
            ],
          },
          {
            title: 'Invalidations by source',
            description:
              'Invalidations per second: local (a write on this instance) or remote (pub/sub message from another instance).',
            unit: 'ops',
            targets: [
              {
                expr: `sum by (prefix, source) (${rate(`cache_invalidations_total{${FP}}`)})`,
                legend: '{{prefix}} {{source}}',
              },
            ],
          },
        ],
      },
    ],
  });
}

const HTTP = 'http_server_request_duration_seconds';
const FR = `${F}, route=~"$route"`;

export function shopApi(): Dashboard {
  return dashboard({
    uid: DASHBOARD_UIDS.shopApi,
    startTimeMetric: 'process_start_time_seconds',
    title: 'Flower shop / API',
    description: 'RED (rate, errors, duration) per route for the flower-shop API, plus Node.js process health.',
    tags: ['api'],
    variables: [
      ...jobInstanceVariables(`${HTTP}_count`, 'flower-shop-api'),
      queryVariable('route', 'Route', `label_values(${HTTP}_count{job=~"$job", instance=~"$instance"}, route)`, {
        defaultValue: '$__all',
        includeAll: true,
        multi: true,
      }),
    ],
    rows: [
      {
        title: 'Rate',
        description: 'How much traffic each route gets.',
        panels: [
          {
            title: 'Request rate by route',
            description: 'Requests per second per Hono route template.',
            unit: 'reqps',
            stack: true,
            targets: [{ expr: `sum by (route) (${rate(`${HTTP}_count{${FR}}`)})`, legend: '{{route}}' }],
          },
          {
            title: 'Request rate by status code',
            description: 'Requests per second per HTTP status code, all selected routes.',
            unit: 'reqps',
            stack: true,
            targets: [{ expr: `sum by (status_code) (${rate(`${HTTP}_count{${FR}}`)})`, legend: '{{status_code}}' }],
          },
        ],
      },
      {
        title: 'Errors',
        description: 'Server errors (5xx) and client errors (4xx) as a share of requests, per route.',
        panels: [
          {
            title: '5xx error ratio by route',
            description:
              'Share of requests answered with a 5xx status, per route. Server-side failures: check loads errors and L2 errors on the cache dashboard.',
            unit: 'percentunit',
            min: 0,
            targets: [
              {
                expr:
                  // "or … * 0": a route with no errors shows 0 % rather than No data.
                  `(\n  sum by (route) (${rate(`${HTTP}_count{${FR}, status_code=~"5.."}`)})\n  or\n  sum by (route) (${rate(`${HTTP}_count{${FR}}`)}) * 0\n)\n/\n` +
                  `sum by (route) (${rate(`${HTTP}_count{${FR}}`)})`,
                legend: '{{route}}',
              },
            ],
          },
          {
            title: '4xx error ratio by route',
            description:
              'Share of requests answered with a 4xx status, per route (validation errors, unknown ids, missing admin token).',
            unit: 'percentunit',
            min: 0,
            targets: [
              {
                expr:
                  // "or … * 0": a route with no errors shows 0 % rather than No data.
                  `(\n  sum by (route) (${rate(`${HTTP}_count{${FR}, status_code=~"4.."}`)})\n  or\n  sum by (route) (${rate(`${HTTP}_count{${FR}}`)}) * 0\n)\n/\n` +
                  `sum by (route) (${rate(`${HTTP}_count{${FR}}`)})`,
                legend: '{{route}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Duration',
        description: 'Latency percentiles; exemplars link each dot to its trace in Tempo.',
        panels: [
          {
            title: 'Request duration p50/p95/p99',
            description: 'Latency percentiles over all selected routes. Exemplar dots open the trace.',
            unit: 's',
            targets: [0.5, 0.95, 0.99].map((q) => ({
              expr: `histogram_quantile(${q}, sum by (le) (${rate(`${HTTP}_bucket{${FR}}`)}))`,
              legend: `p${Math.round(q * 100)}`,
              exemplar: true,
            })),
          },
          {
            title: 'Request duration p99 by route',
            description: 'p99 latency per route. Cached reads should stay far below uncached ones.',
            unit: 's',
            targets: [
              {
                expr: `histogram_quantile(0.99, sum by (le, route) (${rate(`${HTTP}_bucket{${FR}}`)}))`,
                legend: '{{route}}',
                exemplar: true,
              },
            ],
          },
          {
            title: 'Request duration p50 by route',
            description: 'Median latency per route.',
            unit: 's',
            w: 24,
            targets: [
              {
                expr: `histogram_quantile(0.5, sum by (le, route) (${rate(`${HTTP}_bucket{${FR}}`)}))`,
                legend: '{{route}}',
                exemplar: true,
              },
            ],
          },
        ],
      },
      {
        title: 'Process',
        description: 'Node.js process health per instance.',
        panels: [
          {
            title: 'CPU',
            description: 'CPU time per second of wall time per instance (1 = one full core).',
            unit: 'percentunit',
            w: 8,
            targets: [
              { expr: `sum by (instance) (${rate(`process_cpu_seconds_total{${F}}`)})`, legend: '{{instance}}' },
            ],
          },
          {
            title: 'Memory',
            description: 'Resident set size and V8 heap used per instance.',
            unit: 'bytes',
            w: 8,
            targets: [
              { expr: `process_resident_memory_bytes{${F}}`, legend: 'rss {{instance}}' },
              { expr: `nodejs_heap_size_used_bytes{${F}}`, legend: 'heap used {{instance}}' },
            ],
          },
          {
            title: 'Event loop lag',
            description:
              'Event loop lag per instance (p99 and current). A blocked loop inflates every latency, including L1.',
            unit: 's',
            w: 8,
            targets: [
              { expr: `nodejs_eventloop_lag_p99_seconds{${F}}`, legend: 'p99 {{instance}}' },
              { expr: `nodejs_eventloop_lag_seconds{${F}}`, legend: 'now {{instance}}' },
            ],
          },
        ],
      },
    ],
  });
}

/** Adds the node's role (master/replica) to a per-instance redis series. */
/** A per-node stat that is either 0 (red, `texts[0]`) or 1 (green, `texts[1]`). */
function twoStateStat(title: string, description: string, expr: string, texts: [string, string]): PanelSpec {
  return {
    type: 'stat',
    title,
    description,
    unit: 'none',
    w: 8,
    colorMode: 'background',
    thresholds: [
      { color: 'red', value: null },
      { color: 'green', value: 1 },
    ],
    mappings: [
      {
        type: 'value',
        options: {
          '0': { text: texts[0], color: 'red', index: 0 },
          '1': { text: texts[1], color: 'green', index: 1 },
        },
      },
    ],
    targets: [{ expr, legend: '{{instance}}' }],
  };
}

function withRole(expr: string): string {
  return `${expr}\n* on (job, instance) group_left (role)\nmax by (job, instance, role) (redis_instance_info{${F}})`;
}

export function redisCluster(): Dashboard {
  return dashboard({
    uid: DASHBOARD_UIDS.redisCluster,
    startTimeMetric: 'redis_start_time_seconds',
    title: 'Flower shop / Redis cluster',
    description: 'Redis Cluster behind the L2 cache, per node (instance) and role, from redis_exporter.',
    tags: ['redis'],
    variables: jobInstanceVariables('redis_up', 'redis'),
    rows: [
      {
        title: 'Nodes',
        description: 'Which nodes are up, their role and the cluster state.',
        panels: [
          twoStateStat('Up', 'redis_exporter could connect to the node (1) or not (0).', `redis_up{${F}}`, [
            'down',
            'up',
          ]),
          twoStateStat(
            'Cluster state',
            'cluster_state as each node sees it: 1 ok, 0 fail (slots uncovered). Compare with `redis-cli --cluster check`.',
            `redis_cluster_state{${F}}`,
            ['fail', 'ok'],
          ),
          {
            type: 'table',
            title: 'Node roles',
            description: 'Role (master/replica), version and maxmemory policy of every node.',
            unit: 'none',
            w: 8,
            targets: [
              {
                expr: `max by (instance, role, redis_version, maxmemory_policy) (redis_instance_info{${F}})`,
                legend: '{{instance}} {{role}}',
                instant: true,
                format: 'table',
              },
            ],
          },
        ],
      },
      {
        title: 'Memory and keys',
        description: 'Memory against maxmemory, and keys leaving through eviction or expiry.',
        panels: [
          {
            title: 'Memory used and max',
            description:
              'used_memory and maxmemory per node (maxmemory 0 means unlimited). Evictions start when used reaches max.',
            unit: 'bytes',
            targets: [
              { expr: withRole(`redis_memory_used_bytes{${F}}`), legend: 'used {{instance}} ({{role}})' },
              { expr: `redis_memory_max_bytes{${F}}`, legend: 'max {{instance}}' },
            ],
          },
          {
            title: 'Memory used / max',
            description: 'Share of maxmemory in use per node (nodes without a maxmemory are left out).',
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [
              {
                expr: `redis_memory_used_bytes{${F}}\n/\n(redis_memory_max_bytes{${F}} > 0)`,
                legend: '{{instance}}',
              },
            ],
          },
          {
            title: 'Evicted keys',
            description:
              'Keys evicted per second per node by the maxmemory policy. The L2 "evicted" eviction reason on the cache dashboard is the application view of this.',
            unit: 'ops',
            targets: [
              { expr: withRole(`${rate(`redis_evicted_keys_total{${F}}`)}`), legend: '{{instance}} ({{role}})' },
            ],
          },
          {
            title: 'Expired keys',
            description: 'Keys expired per second per node (TTL).',
            unit: 'ops',
            targets: [
              { expr: withRole(`${rate(`redis_expired_keys_total{${F}}`)}`), legend: '{{instance}} ({{role}})' },
            ],
          },
        ],
      },
      {
        title: 'Cluster and replication',
        description: 'Slot coverage, replicas per master and their links: what a failover leaves behind.',
        panels: [
          {
            title: 'Slot coverage',
            description:
              'Hash slots (of 16384) as the nodes see them: assigned, ok, pfail (a master suspected down) and fail (no reachable master). Anything in pfail or fail fires RedisClusterSlotsNotOk.',
            unit: 'short',
            min: 0,
            targets: [
              { expr: `max(redis_cluster_slots_assigned{${F}})`, legend: 'assigned' },
              { expr: `max(redis_cluster_slots_ok{${F}})`, legend: 'ok' },
              { expr: `max(redis_cluster_slots_pfail{${F}})`, legend: 'pfail' },
              { expr: `max(redis_cluster_slots_fail{${F}})`, legend: 'fail' },
            ],
          },
          {
            title: 'Replicas per master',
            description:
              'Connected replicas of each master. A master with 0 has no failover left: one more failure loses its slots.',
            unit: 'short',
            min: 0,
            targets: [
              {
                expr: `redis_connected_slaves{${F}}\n* on (job, instance) group_left ()\nmax by (job, instance) (redis_instance_info{${F}, role="master"})`,
                legend: '{{instance}}',
              },
            ],
          },
          twoStateStat(
            'Replica link to master',
            'master_link_status of each replica: 1 up, 0 down (not replicating). Down for 2m fires RedisReplicaMasterLinkDown.',
            `redis_master_link_up{${F}}`,
            ['down', 'up'],
          ),
          {
            title: 'Mean command latency by command',
            description:
              "Time Redis spends per call, by command (redis_exporter: commands_duration / commands; server-side, without the network). EVALSHA is the cache's Lua scripts.",
            unit: 's',
            w: 24,
            targets: [
              {
                expr:
                  `sum by (cmd) (${rate(`redis_commands_duration_seconds_total{${F}}`)})\n/\n` +
                  `(sum by (cmd) (${rate(`redis_commands_total{${F}}`)}) > 0)`,
                legend: '{{cmd}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Traffic',
        description: "Redis's own view of hits, commands and clients.",
        panels: [
          {
            title: 'Keyspace hit ratio',
            description:
              "Redis's own keyspace_hits / (hits + misses) per node. Differs from the L2 hit ratio on the cache dashboard, which counts per cache lookup.",
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [
              {
                expr:
                  `sum by (instance) (${rate(`redis_keyspace_hits_total{${F}}`)})\n/\n` +
                  `(\n  sum by (instance) (${rate(`redis_keyspace_hits_total{${F}}`)})\n  +\n` +
                  `  sum by (instance) (${rate(`redis_keyspace_misses_total{${F}}`)})\n)`,
                legend: '{{instance}}',
              },
            ],
          },
          {
            title: 'Commands per second by command',
            description: 'Commands processed per second by command, all selected nodes.',
            unit: 'ops',
            stack: true,
            targets: [{ expr: `sum by (cmd) (${rate(`redis_commands_total{${F}}`)})`, legend: '{{cmd}}' }],
          },
          {
            title: 'Commands per second by node',
            description:
              'Commands processed per second per node and role. Replicas should see only replication traffic.',
            unit: 'ops',
            targets: [
              { expr: withRole(`${rate(`redis_commands_processed_total{${F}}`)}`), legend: '{{instance}} ({{role}})' },
            ],
          },
          {
            title: 'Connected clients',
            description: 'Client connections per node (API instances, pub/sub subscribers, the exporter).',
            unit: 'short',
            targets: [{ expr: withRole(`redis_connected_clients{${F}}`), legend: '{{instance}} ({{role}})' }],
          },
        ],
      },
    ],
  });
}

export function buildDashboards(): Record<string, Dashboard> {
  return {
    'cache-overview.json': cacheOverview(),
    'shop-api.json': shopApi(),
    'redis-cluster.json': redisCluster(),
  };
}

export function renderDashboard(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

export const DASHBOARDS_DIR = dirname(fileURLToPath(import.meta.url));

function main(argv: string[]): number {
  const check = argv.includes('--check');
  let stale = 0;
  for (const [file, d] of Object.entries(buildDashboards())) {
    const path = join(DASHBOARDS_DIR, file);
    const want = renderDashboard(d);
    let have = '';
    try {
      have = readFileSync(path, 'utf8');
    } catch {
      have = '';
    }
    if (have === want) continue;
    if (check) {
      console.error(`${file} is stale: run node --import tsx dashboards/build.ts`);
      stale++;
    } else {
      writeFileSync(path, want);
      console.log(`wrote ${file}`);
    }
  }
  return stale === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
