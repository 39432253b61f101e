/**
 * Lints dashboards/*.json the way Grafana's dashboard linter would, plus this
 * project's rules: every query filters on job and instance (and prefix on the
 * cache dashboard), ranges are $__rate_interval, panels carry a unit and a
 * description, uids are stable, dashboards link to each other, latency
 * panels show exemplars. Also checks the committed JSON is what
 * dashboards/build.ts generates, and the Grafana provisioning files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ALERTS_ANNOTATION,
  buildDashboards,
  DASHBOARD_FILES,
  DASHBOARD_TAG,
  RESTART_ANNOTATION,
  renderDashboard,
} from '../dashboards/build.ts';
import { FLEET_SERIES } from '../src/console/fleet-series.ts';
import { GRAFANA_SCOPE } from '../src/observability/promql/query.ts';
import { allDashboardExprs, DASHBOARDS_DIR, dashboardFiles, REPO_ROOT } from './helpers/dashboard-queries.ts';

// ---------------------------------------------------------------------------
// A small PromQL scanner: enough to find every series selector and range.
// ---------------------------------------------------------------------------

type TokKind = 'ident' | 'var' | 'str' | 'num' | 'punct' | 'op';
interface Tok {
  kind: TokKind;
  text: string;
}

const TOKEN_PATTERNS: [TokKind | 'skip', RegExp][] = [
  ['skip', /^(?:\s+|#[^\n]*)/],
  ['str', /^(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/],
  ['var', /^\$(?:\{[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}|[A-Za-z_][A-Za-z0-9_]*)/],
  ['num', /^(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)?|\.\d+)/],
  ['ident', /^[A-Za-z_:][A-Za-z0-9_:]*/],
  ['punct', /^[(){}[\],]/],
  ['op', /^(?:=~|!~|!=|==|>=|<=|[=<>+\-*/%^@:])/],
];

export function tokenize(expr: string): Tok[] {
  const toks: Tok[] = [];
  let rest = expr;
  outer: while (rest.length > 0) {
    for (const [kind, re] of TOKEN_PATTERNS) {
      const m = re.exec(rest);
      if (m === null) continue;
      rest = rest.slice(m[0].length);
      if (kind !== 'skip') toks.push({ kind, text: m[0] });
      continue outer;
    }
    throw new Error(`cannot tokenize PromQL at: ${rest.slice(0, 30)}`);
  }
  return toks;
}

const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const AGGREGATORS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
]);
const BARE_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);

export interface Selector {
  metric: string;
  matchers: Map<string, { op: string; value: string }>;
}

export interface ScanResult {
  selectors: Selector[];
  /** contents of every [..] range / subquery */
  ranges: string[];
  /** functions called, with the tokens of their argument list */
  calls: { name: string; args: Tok[] }[];
}

function matching(toks: Tok[], open: number, o: string, c: string): number {
  let depth = 0;
  for (let i = open; i < toks.length; i++) {
    const t = toks[i];
    if (t?.kind !== 'punct') continue;
    if (t.text === o) depth++;
    if (t.text === c && --depth === 0) return i;
  }
  throw new Error(`unbalanced ${o}${c}`);
}

function unquote(s: string): string {
  return s.startsWith('`')
    ? s.slice(1, -1)
    : (JSON.parse(s.startsWith("'") ? `"${s.slice(1, -1).replace(/"/g, '\\"')}"` : s) as string);
}

export function scan(expr: string): ScanResult {
  const toks = tokenize(expr);
  const out: ScanResult = { selectors: [], ranges: [], calls: [] };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t === undefined) break;
    const next = toks[i + 1];
    if (t.kind === 'punct' && t.text === '[') {
      const end = matching(toks, i, '[', ']');
      out.ranges.push(
        toks
          .slice(i + 1, end)
          .map((x) => x.text)
          .join(''),
      );
      i = end;
      continue;
    }
    if (t.kind === 'ident') {
      const lower = t.text.toLowerCase();
      if (LABEL_LIST_KEYWORDS.has(lower)) {
        if (next?.text === '(') i = matching(toks, i + 1, '(', ')');
        continue;
      }
      if (BARE_KEYWORDS.has(lower)) continue;
      // `sum by (le) (...)`: an aggregation whose grouping comes first
      if (AGGREGATORS.has(lower) && (next?.text === 'by' || next?.text === 'without')) {
        out.calls.push({ name: t.text, args: [] });
        continue; // `by (...)` is skipped next, the arguments are scanned as the loop goes on
      }
      if (next?.text === '(') {
        const end = matching(toks, i + 1, '(', ')');
        out.calls.push({ name: t.text, args: toks.slice(i + 2, end) });
        continue; // the arguments are scanned as the loop goes on
      }
    }
    if (t.kind === 'ident' || (t.kind === 'punct' && t.text === '{')) {
      const sel: Selector = { metric: t.kind === 'ident' ? t.text : '', matchers: new Map() };
      const open = t.kind === 'ident' ? (next?.text === '{' ? i + 1 : -1) : i;
      if (open >= 0) {
        const end = matching(toks, open, '{', '}');
        const inner = toks.slice(open + 1, end);
        for (let j = 0; j < inner.length; ) {
          const name = inner[j];
          const op = inner[j + 1];
          const value = inner[j + 2];
          if (name === undefined || op === undefined || value === undefined || value.kind !== 'str') {
            throw new Error(`bad matcher list in ${expr}`);
          }
          sel.matchers.set(name.text, { op: op.text, value: unquote(value.text) });
          j += 3;
          if (inner[j]?.text === ',') j++;
        }
        i = end;
      }
      out.selectors.push(sel);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The linter
// ---------------------------------------------------------------------------

interface Target {
  refId?: string;
  expr?: string;
  exemplar?: boolean;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string; custom?: { stacking?: { mode?: string } } } };
  gridPos?: { x: number; y: number; w: number; h: number };
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  datasource?: { uid?: string };
}
interface Dashboard {
  uid?: string;
  title?: string;
  tags?: string[];
  schemaVersion?: number;
  links?: { type: string; tags?: string[]; url?: string }[];
  templating?: { list?: Variable[] };
  annotations?: { list?: { name?: string; expr?: string }[] };
  panels?: Panel[];
}

/** Metrics whose series carry a `prefix` label: the cache dashboard must filter them on $prefix. */
const PREFIX_METRICS = [
  'cache_requests_total',
  'cache_evictions_total',
  'cache_operation_duration_seconds',
  'cache_entries',
  'cache_loads_total',
  'cache_load_duration_seconds',
  'cache_coalesced_requests_total',
  'cache_invalidations_total',
  'cache_stale_served_age_seconds',
  'cache_lock_wait_seconds',
  'cache_lock_takeovers_total',
  'cache_refreshes_total',
  'cache_loader_timeouts_total',
  'cache_admissions_total',
  'cache_l1_prefix_bytes',
  'cache_l1_prefix_budget_bytes',
];
/**
 * Recording-rule series (`level:metric:operations`) are aggregated per job: they have no
 * instance label, so `instance=~"$instance"` (All = ".+") would match none of them.
 */
const isRecorded = (metric: string): boolean => metric.includes(':');
const hasPrefixLabel = (metric: string): boolean =>
  PREFIX_METRICS.some(
    (m) => metric === m || metric === `${m}_bucket` || metric === `${m}_count` || metric === `${m}_sum`,
  );

function allPanels(panels: Panel[] | undefined): Panel[] {
  return (panels ?? []).flatMap((p) => [p, ...allPanels(p.panels)]);
}

/** Returns every problem found; an empty list means the dashboard is clean. */
export function lintDashboard(file: string, d: Dashboard): string[] {
  const problems: string[] = [];
  const vars = d.templating?.list ?? [];
  const v = (name: string): Variable | undefined => vars.find((x) => x.name === name);
  const needsPrefix = file === 'cache-overview.json';

  // variables
  const ds = v('datasource');
  if (ds?.type !== 'datasource' || ds.query !== 'prometheus')
    problems.push(`${file}: no datasource variable of type datasource / prometheus`);
  for (const name of ['job', 'instance', ...(needsPrefix ? ['prefix'] : [])]) {
    const qv = v(name);
    if (qv?.type !== 'query') {
      problems.push(`${file}: no query variable $${name}`);
      continue;
    }
    const q = typeof qv.query === 'string' ? qv.query : ((qv.query as { query?: string } | undefined)?.query ?? '');
    if (!q.startsWith('label_values(')) problems.push(`${file}: $${name} is not a label_values() query`);
    if (qv.datasource?.uid !== '${datasource}') problems.push(`${file}: $${name} does not query \${datasource}`);
  }
  const prefix = v('prefix');
  if (needsPrefix && (prefix?.multi !== true || prefix.includeAll !== true))
    problems.push(`${file}: $prefix must be multi with All`);

  // identity and links
  if (d.uid !== DASHBOARD_FILES[file])
    problems.push(`${file}: uid ${String(d.uid)} is not ${String(DASHBOARD_FILES[file])}`);
  if (!(d.tags ?? []).includes(DASHBOARD_TAG)) problems.push(`${file}: missing tag ${DASHBOARD_TAG}`);
  if (!(d.links ?? []).some((l) => l.type === 'dashboards' && (l.tags ?? []).includes(DASHBOARD_TAG))) {
    problems.push(`${file}: no tag link to the ${DASHBOARD_TAG} dashboards`);
  }
  for (const [otherFile, otherUid] of Object.entries(DASHBOARD_FILES)) {
    if (otherFile === file) continue;
    if (!(d.links ?? []).some((l) => l.type === 'link' && (l.url ?? '').startsWith(`/d/${otherUid}`))) {
      problems.push(`${file}: no link to ${otherUid}`);
    }
  }
  if (typeof d.schemaVersion !== 'number' || d.schemaVersion < 36) problems.push(`${file}: schemaVersion too old`);

  // panels
  const ids = new Set<number>();
  for (const p of allPanels(d.panels)) {
    const where = `${file} / ${p.title ?? '?'}`;
    if (typeof p.id !== 'number' || ids.has(p.id)) problems.push(`${where}: missing or duplicate panel id`);
    else ids.add(p.id);
    if (p.gridPos !== undefined && p.gridPos.x + p.gridPos.w > 24) problems.push(`${where}: wider than the grid`);
    if (p.type === 'row') continue;
    if (!p.description?.trim()) problems.push(`${where}: no description`);
    if (!p.fieldConfig?.defaults?.unit?.trim()) problems.push(`${where}: no unit`);
    if (p.datasource?.uid !== '${datasource}') problems.push(`${where}: panel datasource is not \${datasource}`);
    const targets = p.targets ?? [];
    if (targets.length === 0) problems.push(`${where}: no targets`);
    for (const t of targets) {
      const tw = `${where} [${t.refId ?? '?'}]`;
      if (t.datasource?.uid !== '${datasource}') problems.push(`${tw}: target datasource is not \${datasource}`);
      const expr = t.expr ?? '';
      if (!expr.trim()) {
        problems.push(`${tw}: empty expr`);
        continue;
      }
      let res: ScanResult;
      try {
        res = scan(expr);
      } catch (e) {
        problems.push(`${tw}: ${(e as Error).message}`);
        continue;
      }
      if (res.selectors.length === 0) problems.push(`${tw}: no series selector`);
      for (const s of res.selectors) {
        const job = s.matchers.get('job');
        const instance = s.matchers.get('instance');
        if (job?.op !== '=~' || job.value !== '$job') problems.push(`${tw}: ${s.metric} lacks job=~"$job"`);
        if (!isRecorded(s.metric) && (instance?.op !== '=~' || instance.value !== '$instance'))
          problems.push(`${tw}: ${s.metric} lacks instance=~"$instance"`);
        if (needsPrefix && hasPrefixLabel(s.metric)) {
          const pm = s.matchers.get('prefix');
          if (pm?.op !== '=~' || pm.value !== '$prefix') problems.push(`${tw}: ${s.metric} lacks prefix=~"$prefix"`);
        }
      }
      for (const r of res.ranges)
        if (r !== '$__rate_interval') problems.push(`${tw}: range [${r}] is not [$__rate_interval]`);
      for (const c of res.calls) {
        if (!['rate', 'irate', 'increase'].includes(c.name)) continue;
        const argText = c.args.map((a) => a.text).join('');
        if (!argText.endsWith('[$__rate_interval]')) problems.push(`${tw}: ${c.name}() without [$__rate_interval]`);
      }
      const latency = expr.includes('histogram_quantile') || /_bucket\b/.test(expr);
      if (latency && t.exemplar !== true) problems.push(`${tw}: latency query without exemplars`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------

function load(file: string): Dashboard {
  return JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard;
}

describe('PromQL scanner', () => {
  it('finds selectors, matchers, ranges and calls, skipping label lists and keywords', () => {
    const r = scan(
      'histogram_quantile(0.99, sum by (le, tier) (rate(a_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))\n' +
        '/ on (job) group_left (role) max without (x) (b{job="j"} offset 1h) or vector(0) > bool 1 and Inf',
    );
    expect(r.selectors.map((s) => s.metric)).toEqual(['a_bucket', 'b']);
    expect(r.selectors[0]?.matchers.get('instance')).toEqual({ op: '=~', value: '$instance' });
    expect(r.ranges).toEqual(['$__rate_interval']);
    expect(r.calls.map((c) => c.name)).toEqual(['histogram_quantile', 'sum', 'rate', 'max', 'vector']);
  });
});

describe('dashboards', () => {
  const files = dashboardFiles();

  it('are exactly the three expected files', () => {
    expect(files).toEqual(Object.keys(DASHBOARD_FILES).sort());
  });

  it('are what dashboards/build.ts generates (run `node --import tsx dashboards/build.ts`)', () => {
    const built = buildDashboards();
    expect(Object.keys(built).sort()).toEqual(files);
    for (const [file, d] of Object.entries(built)) {
      expect(readFileSync(join(DASHBOARDS_DIR, file), 'utf8'), file).toBe(renderDashboard(d));
    }
  });

  for (const file of Object.keys(DASHBOARD_FILES)) {
    it(`${file} passes the lint`, () => {
      expect(lintDashboard(file, load(file))).toEqual([]);
    });
  }

  it('mark restarts (start-time changes) and firing alerts (ALERTS) on every dashboard', () => {
    for (const file of files) {
      const list = load(file).annotations?.list ?? [];
      const restart = list.find((a) => a.name === RESTART_ANNOTATION);
      const alerts = list.find((a) => a.name === ALERTS_ANNOTATION);
      expect(restart?.expr, file).toMatch(
        /^changes\((process|redis)_start_time_seconds\{job=~"\$job", instance=~"\$instance"\}\[/,
      );
      expect(alerts?.expr, file).toMatch(/^ALERTS\{alertstate="firing"/);
    }
  });

  it("give 'All' the linter's allValue '.+' (never '.*', which matches series without the label)", () => {
    for (const file of files) {
      const vars = load(file).templating?.list ?? [];
      for (const v of vars.filter((x) => x.includeAll)) expect(v.allValue, `${file} $${v.name}`).toBe('.+');
    }
  });

  it('never stack series of both cache tiers: an L2 lookup is an L1 miss, a stack would count it twice', () => {
    for (const file of files) {
      for (const panel of allPanels(load(file).panels)) {
        const exprs = (panel.targets ?? []).map((t) => t.expr ?? '').join('\n');
        const bothTiers = exprs.includes('cache_requests_total') && !/tier="l[12]"/.test(exprs);
        if (bothTiers && /by \([^)]*tier/.test(exprs))
          expect(panel.fieldConfig?.defaults?.custom?.stacking?.mode ?? 'none', `${file}: ${panel.title}`).toBe('none');
      }
    }
  });

  it('have unique uids', () => {
    const uids = files.map((f) => load(f).uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('cover the cache, API and Redis signals the brief asks for', () => {
    const exprs = (file: string): string =>
      allPanels(load(file).panels)
        .flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''))
        .join('\n');
    const cache = exprs('cache-overview.json');
    for (const m of [
      'cache_requests_total',
      'cache_evictions_total',
      'cache_operation_duration_seconds_bucket',
      'cache_entries',
      'cache_size_bytes',
      'cache_loads_total',
      'cache_load_duration_seconds_bucket',
      'cache_coalesced_requests_total',
      'cache_invalidations_total',
      'cache_l2_errors_total',
      'cache_l2_circuit_state',
      'cache_stale_served_age_seconds_bucket',
      'cache_invalidation_lag_seconds_bucket',
      'cache_lock_wait_seconds_bucket',
      'cache_lock_takeovers_total',
      'cache_refreshes_total',
      'cache_loader_timeouts_total',
      'cache_admissions_total',
      'cache_l1_prefix_bytes',
      'cache_l1_prefix_budget_bytes',
    ]) {
      expect(cache, m).toContain(`${m}{`);
    }
    const api = exprs('shop-api.json');
    for (const m of [
      'http_server_request_duration_seconds_count',
      'http_server_request_duration_seconds_bucket',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag',
    ]) {
      expect(api, m).toContain(m);
    }
    for (const m of [
      'db_query_duration_seconds_bucket',
      'db_query_duration_seconds_count',
      'db_errors_total',
      'db_pool_connections',
      'db_pool_max_connections',
      'db_pool_waiting',
      'backend:db_errors:ratio_rate5m',
      'job:slo_http_errors:ratio_rate5m',
      'job:slo_http_slow:ratio_rate1h',
    ]) {
      expect(api, m).toContain(`${m}{`);
    }
    expect(api).toContain('status_code=~"5.."');
    expect(api).toContain('status_code=~"4.."');
    const redis = exprs('redis-cluster.json');
    for (const m of [
      'redis_memory_used_bytes',
      'redis_memory_max_bytes',
      'redis_evicted_keys_total',
      'redis_expired_keys_total',
      'redis_keyspace_hits_total',
      'redis_keyspace_misses_total',
      'redis_commands_total',
      'redis_connected_clients',
      'redis_up',
      'redis_instance_info',
    ]) {
      expect(redis, m).toContain(`${m}{`);
    }
  });

  it("run every query of the console's fleet view: one definition for both (src/observability/promql)", () => {
    const panelExprs = new Set(
      files.flatMap((f) => allPanels(load(f).panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''))),
    );
    const missing = FLEET_SERIES.map((s) => s.query).filter((q) => !panelExprs.has(q.expr(GRAFANA_SCOPE)));
    expect(missing.map((q) => q.name)).toEqual([]);
    expect(FLEET_SERIES.length).toBeGreaterThan(20);
  });

  it('expose every expression, with variables substituted, for the live test', () => {
    const all = allDashboardExprs();
    expect(all.length).toBeGreaterThan(30);
    for (const e of all) {
      expect(e.expr, `${e.dashboard} / ${e.panel}`).not.toContain('$');
      expect(e.expr).toMatch(/job=~"(flower-shop-api|redis)"/);
    }
  });
});

describe('the lint is real: it catches', () => {
  const base = (): Dashboard => load('cache-overview.json');
  const firstTarget = (d: Dashboard): Target => {
    const t = allPanels(d.panels).find(
      (p) => (p.targets ?? []).length > 0 && (p.targets?.[0]?.expr ?? '').includes('rate('),
    )?.targets?.[0];
    if (t === undefined) throw new Error('no target');
    return t;
  };
  const mutate = (f: (d: Dashboard) => void): string[] => {
    const d = base();
    f(d);
    return lintDashboard('cache-overview.json', d);
  };

  it('a clean dashboard', () => {
    expect(mutate(() => undefined)).toEqual([]);
  });
  it('a query that drops the instance filter', () => {
    expect(
      mutate((d) => {
        const t = firstTarget(d);
        t.expr = (t.expr ?? '').replace(', instance=~"$instance"', '');
      }).join('\n'),
    ).toMatch(/lacks instance/);
  });
  it('a query that drops the job filter in one of two selectors', () => {
    expect(
      mutate((d) => {
        const t = firstTarget(d);
        t.expr = (t.expr ?? '').replace('job=~"$job", ', '');
      }).join('\n'),
    ).toMatch(/lacks job/);
  });
  it('a cache query that drops the prefix filter', () => {
    expect(
      mutate((d) => {
        const t = firstTarget(d);
        t.expr = (t.expr ?? '').replaceAll(', prefix=~"$prefix"', '');
      }).join('\n'),
    ).toMatch(/lacks prefix/);
  });
  it('a hard-coded rate window', () => {
    expect(
      mutate((d) => {
        const t = firstTarget(d);
        t.expr = (t.expr ?? '').replace('[$__rate_interval]', '[5m]');
      }).join('\n'),
    ).toMatch(/range \[5m\]/);
  });
  it('a missing unit, description or datasource', () => {
    const problems = mutate((d) => {
      const p = allPanels(d.panels).find((x) => x.type !== 'row');
      if (p?.fieldConfig?.defaults) delete p.fieldConfig.defaults.unit;
      if (p) p.description = '';
      if (p) p.datasource = { type: 'prometheus', uid: 'prometheus' };
    }).join('\n');
    expect(problems).toMatch(/no unit/);
    expect(problems).toMatch(/no description/);
    expect(problems).toMatch(/panel datasource/);
  });
  it('a latency panel without exemplars', () => {
    expect(
      mutate((d) => {
        for (const p of allPanels(d.panels)) for (const t of p.targets ?? []) t.exemplar = false;
      }).join('\n'),
    ).toMatch(/without exemplars/);
  });
  it('a changed uid or a missing link', () => {
    const problems = mutate((d) => {
      d.uid = 'x';
      d.links = [];
    }).join('\n');
    expect(problems).toMatch(/uid x/);
    expect(problems).toMatch(/no link to flower-shop-api/);
  });
});

describe('grafana provisioning', () => {
  it('provides the Prometheus (uid prometheus) data source with trace_id exemplars into Tempo (uid tempo)', () => {
    const doc = parse(
      readFileSync(join(REPO_ROOT, 'grafana', 'provisioning', 'datasources', 'datasources.yml'), 'utf8'),
    ) as {
      datasources: {
        uid: string;
        type: string;
        url: string;
        jsonData?: { exemplarTraceIdDestinations?: { name: string; datasourceUid: string }[] };
      }[];
    };
    const prom = doc.datasources.find((d) => d.uid === 'prometheus');
    expect(prom?.type).toBe('prometheus');
    expect(prom?.jsonData?.exemplarTraceIdDestinations).toEqual([{ name: 'trace_id', datasourceUid: 'tempo' }]);
    expect(doc.datasources.find((d) => d.uid === 'tempo')?.type).toBe('tempo');
  });

  it('loads the dashboards from the folder docker-compose mounts them into', () => {
    const doc = parse(
      readFileSync(join(REPO_ROOT, 'grafana', 'provisioning', 'dashboards', 'dashboards.yml'), 'utf8'),
    ) as {
      providers: { type: string; options: { path: string } }[];
    };
    const path = doc.providers[0]?.options.path ?? '';
    expect(doc.providers[0]?.type).toBe('file');
    const compose = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`./dashboards:${path}:ro`);
  });
});
