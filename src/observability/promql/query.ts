/**
 * One definition of each PromQL query the Grafana dashboards and the console's fleet view run.
 * A query is written once against a scope (which series, which rate window); Grafana runs it
 * with its template variables, the console with concrete values against Prometheus.
 */
export interface QueryScope {
  /** Matchers every selector carries (Grafana: job and instance variables). */
  readonly matchers: readonly string[];
  /** Added to selectors of metrics with a `prefix` label (Grafana: the prefix variable). */
  readonly prefixMatchers: readonly string[];
  /** Added to selectors of HTTP metrics (Grafana: the route variable). */
  readonly routeMatchers: readonly string[];
  /** The window of every rate(): `$__rate_interval` in Grafana, a duration in the console. */
  readonly window: string;
}

/** Grafana's scope: the dashboards' variables, which the dashboard lint requires on every selector. */
export const GRAFANA_SCOPE: QueryScope = {
  matchers: ['job=~"$job"', 'instance=~"$instance"'],
  prefixMatchers: ['prefix=~"$prefix"'],
  routeMatchers: ['route=~"$route"'],
  window: '$__rate_interval',
};

/** The console's fleet scope: every instance of one job, rates over a fixed window. */
export function fleetScope(job: string, window = '1m'): QueryScope {
  return { matchers: [`job="${job}"`], prefixMatchers: [], routeMatchers: [], window };
}

/** Builds selectors and rates for one scope. */
export class Selectors {
  constructor(readonly scope: QueryScope) {}

  /** `metric{scope matchers, extra}` */
  of(metric: string, ...extra: string[]): string {
    return `${metric}{${[...this.scope.matchers, ...extra].join(', ')}}`;
  }

  /** A metric with a `prefix` label: the prefix filter too. */
  prefixed(metric: string, ...extra: string[]): string {
    return this.of(metric, ...this.scope.prefixMatchers, ...extra);
  }

  /** An HTTP metric with a `route` label: the route filter too. */
  routed(metric: string, ...extra: string[]): string {
    return this.of(metric, ...this.scope.routeMatchers, ...extra);
  }

  rate(selector: string): string {
    return `rate(${selector}[${this.scope.window}])`;
  }
}

export interface PromQuery {
  /** What the query answers (the dashboard panel and the console chart cite it). */
  readonly name: string;
  /** Grafana legend: `{{label}}` per label the result keeps. */
  readonly legend: string;
  expr(scope: QueryScope): string;
}

export function defineQuery(name: string, legend: string, build: (s: Selectors) => string): PromQuery {
  return { name, legend, expr: (scope) => build(new Selectors(scope)) };
}

/** A label list for `by (...)` and its legend: `['tier', 'prefix']` → `{{tier}} {{prefix}}`. */
export function legendOf(labels: readonly string[]): string {
  return labels.map((l) => `{{${l}}}`).join(' ');
}

/** histogram_quantile of `metric` summed by `by` (plus le), each series in scope. */
export function quantileQuery(
  name: string,
  q: number,
  metric: string,
  by: readonly string[],
  select: (s: Selectors, metric: string) => string,
): PromQuery {
  const label = `p${Math.round(q * 100)}`;
  return defineQuery(
    `${name} ${label}`,
    by.length > 0 ? `${label} ${legendOf(by)}` : label,
    (s) => `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (${s.rate(select(s, `${metric}_bucket`))}))`,
  );
}

/** p50, p95 and p99 of one histogram: the latency panels' three lines. */
export function quantileQueries(
  name: string,
  metric: string,
  by: readonly string[],
  select: (s: Selectors, metric: string) => string,
  qs: readonly number[] = [0.5, 0.95, 0.99],
): PromQuery[] {
  return qs.map((q) => quantileQuery(name, q, metric, by, select));
}

/**
 * `part / whole` where a group with no `part` series shows 0 rather than vanishing
 * (a prefix that never hit, a route that never failed).
 */
export function ratioOrZero(part: string, whole: string): string {
  return `(\n  ${part}\n  or\n  ${whole} * 0\n)\n/\n${whole}`;
}
