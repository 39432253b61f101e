/**
 * Every PromQL expression the dashboards and rule files run, ready to send to
 * a real Prometheus: Grafana variables are replaced by concrete values.
 *
 *   allDashboardExprs() — one entry per panel target in dashboards/*.json
 *   allRuleExprs()      — one entry per recording/alerting rule in rules/*.yml
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DASHBOARDS_DIR = join(REPO_ROOT, 'dashboards');
export const RULES_DIR = join(REPO_ROOT, 'rules');

export interface DashboardExpr {
  /** Dashboard file name, e.g. cache-overview.json */
  dashboard: string;
  /** Panel title (row title / panel title for nested rows) */
  panel: string;
  expr: string;
}

export interface RuleExpr {
  group: string;
  /** `record` name or `alert` name */
  name: string;
  expr: string;
}

interface JsonTarget {
  expr?: unknown;
}

interface JsonPanel {
  type?: unknown;
  title?: unknown;
  targets?: JsonTarget[];
  panels?: JsonPanel[];
}

interface JsonDashboard {
  panels?: JsonPanel[];
}

/** The job regex each dashboard's `$job` stands for. */
const JOB_BY_DASHBOARD: Record<string, string> = {
  'cache-overview.json': 'flower-shop-api',
  'shop-api.json': 'flower-shop-api',
  'redis-cluster.json': 'redis',
};

/**
 * Replaces Grafana template variables with concrete values.
 * Throws on a variable it does not know, so a new variable cannot slip
 * through to Prometheus as a literal `$foo`.
 */
export function substituteVariables(expr: string, job: string): string {
  const values: Record<string, string> = {
    job,
    instance: '.*',
    prefix: '.*',
    route: '.*',
    __rate_interval: '1m',
    __interval: '1m',
    __range: '1h',
  };
  return expr.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? '';
      const value = values[name];
      if (value === undefined) throw new Error(`unknown Grafana variable ${m} in: ${expr}`);
      return value;
    },
  );
}

export function dashboardFiles(): string[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

function walkPanels(panels: JsonPanel[] | undefined, out: JsonPanel[]): void {
  for (const p of panels ?? []) {
    out.push(p);
    walkPanels(p.panels, out);
  }
}

export function allDashboardExprs(): DashboardExpr[] {
  const out: DashboardExpr[] = [];
  for (const file of dashboardFiles()) {
    const job = JOB_BY_DASHBOARD[file];
    if (job === undefined) throw new Error(`no job mapping for dashboards/${file}: add it to JOB_BY_DASHBOARD`);
    const dash = JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as JsonDashboard;
    const panels: JsonPanel[] = [];
    walkPanels(dash.panels, panels);
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        if (typeof t.expr !== 'string' || t.expr.trim() === '') continue;
        out.push({ dashboard: file, panel: String(p.title ?? ''), expr: substituteVariables(t.expr, job) });
      }
    }
  }
  return out;
}

interface RuleFile {
  groups?: { name?: unknown; rules?: { record?: unknown; alert?: unknown; expr?: unknown }[] }[];
}

export function ruleFiles(): string[] {
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort();
}

export function allRuleExprs(): RuleExpr[] {
  const out: RuleExpr[] = [];
  for (const file of ruleFiles()) {
    const doc = parse(readFileSync(join(RULES_DIR, file), 'utf8')) as RuleFile | null;
    for (const g of doc?.groups ?? []) {
      for (const r of g.rules ?? []) {
        const name = typeof r.record === 'string' ? r.record : typeof r.alert === 'string' ? r.alert : '';
        if (typeof r.expr !== 'string' || name === '') throw new Error(`rules/${file}: rule without name or expr`);
        out.push({ group: String(g.name ?? ''), name, expr: r.expr.trim() });
      }
    }
  }
  return out;
}
