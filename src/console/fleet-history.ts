import { fleetScope, type QueryScope } from '../observability/promql/query.ts';
import { FLEET_SERIES, type FleetSeries } from './fleet-series.ts';
import type { PrometheusClient } from './prometheus-client.ts';
import type { HistoryWindow } from './series-history.ts';

export interface FleetWindow extends HistoryWindow {
  /** Queries that failed (the others' series are still there). */
  failed: { query: string; error: string }[];
}

export interface FleetHistoryOptions {
  prometheus: PrometheusClient;
  job: string;
  /** The rate window of every query (a few scrape intervals). */
  rateWindow?: string;
  /** At most this many points per series: the step grows with the range. */
  maxPoints?: number;
  minStepSeconds?: number;
  maxSeries?: number;
  series?: readonly FleetSeries[];
}

/**
 * The whole fleet's recent past, for the console: the dashboards' queries (FLEET_SERIES) run
 * against Prometheus over the asked range and folded into the local history's shape and names,
 * so the page draws either with the same charts. Callers asking for the same range while a
 * fetch runs share it: a room full of open consoles costs Prometheus one set of queries.
 */
export class FleetHistory {
  readonly scope: QueryScope;
  readonly rateWindow: string;
  private readonly inFlight = new Map<number, Promise<FleetWindow>>();

  constructor(private readonly options: FleetHistoryOptions) {
    this.rateWindow = options.rateWindow ?? '1m';
    // The console's own routes are left out, as the local history leaves them out.
    this.scope = { ...fleetScope(options.job, this.rateWindow), routeMatchers: ['route!~"/console.*|/metrics"'] };
  }

  window(seconds: number, nowMs = Date.now()): Promise<FleetWindow> {
    const running = this.inFlight.get(seconds);
    if (running) return running;
    const fetching = this.fetch(seconds, nowMs).finally(() => this.inFlight.delete(seconds));
    this.inFlight.set(seconds, fetching);
    return fetching;
  }

  private async fetch(seconds: number, nowMs: number): Promise<FleetWindow> {
    const step = Math.max(this.options.minStepSeconds ?? 2, Math.ceil(seconds / (this.options.maxPoints ?? 300)));
    // Aligned to the step, so successive polls land on the same times.
    const end = Math.floor(nowMs / 1000 / step) * step;
    const start = end - Math.floor(seconds / step) * step;
    const t: number[] = [];
    for (let at = start; at <= end; at += step) t.push(at * 1000);
    const index = new Map(t.map((ms, i) => [ms / 1000, i]));
    const maxSeries = this.options.maxSeries ?? 1_000;
    const series: Record<string, (number | null)[]> = {};
    const failed: FleetWindow['failed'] = [];
    const results = await Promise.allSettled(
      (this.options.series ?? FLEET_SERIES).map(async (def) => ({
        def,
        result: await this.options.prometheus.queryRange(def.query.expr(this.scope), start, end, step),
      })),
    );
    results.forEach((outcome, i) => {
      const def = (this.options.series ?? FLEET_SERIES)[i]!;
      if (outcome.status === 'rejected') {
        failed.push({ query: def.query.name, error: String((outcome.reason as Error).message ?? outcome.reason) });
        return;
      }
      for (const { metric, values } of outcome.value.result) {
        for (const name of def.names(metric)) {
          let column = series[name];
          if (!column) {
            if (Object.keys(series).length >= maxSeries) continue;
            column = new Array<number | null>(t.length).fill(null);
            series[name] = column;
          }
          for (const [at, text] of values) {
            const slot = index.get(at);
            const value = Number(text);
            if (slot === undefined || !Number.isFinite(value)) continue;
            const previous = column[slot];
            column[slot] =
              previous === null || previous === undefined
                ? value
                : def.combine === 'max'
                  ? Math.max(previous, value)
                  : previous + value;
          }
        }
      }
    });
    return { t, series, failed };
  }
}
