/** The subset of Grafana's dashboard JSON model these dashboards emit. */
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
