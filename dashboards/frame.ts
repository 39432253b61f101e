import { restarts } from '../src/observability/promql/process-queries.ts';
import { GRAFANA_SCOPE } from '../src/observability/promql/query.ts';
import type { Dashboard, DashboardLink, Variable } from './model.ts';
import { DS, layout, type RowSpec } from './panels.ts';

/** What every dashboard shares: identity, variables, links between them, event annotations. */

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

export function queryVariable(
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
export function jobInstanceVariables(metric: string, defaultJob: string): Variable[] {
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

export function dashboard(opts: {
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
      expr: restarts(startTimeMetric).expr(GRAFANA_SCOPE),
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
