import { histogramQuantile } from './histogram-quantile.ts';
import type { BucketCounts, Readings } from './registry-readings.ts';

/**
 * One point of every console series, from two readings `seconds` apart: rates per second,
 * ratios and quantiles over that window (as PromQL's rate() and histogram_quantile() over a
 * range would give), gauges as they are now. Names are what the page charts.
 */
export function deriveSample(now: Readings, before: Readings, seconds: number): Map<string, number> {
  const out = new Map<string, number>();
  const rate = (key: string): number =>
    Math.max(0, (now.counters.get(key) ?? 0) - (before.counters.get(key) ?? 0)) / seconds;
  const sum = (into: string, value: number): void => {
    out.set(into, (out.get(into) ?? 0) + value);
  };

  // Lookups: hit ratio per tier and prefix, lookups per second by tier and result.
  const lookups = new Map<string, { served: number; total: number }>();
  for (const key of now.counters.keys()) {
    const [kind, tier, prefix, result] = key.split('|');
    if (kind === 'req' && tier && prefix && result) {
      const r = rate(key);
      sum(`requests.${tier}.${result}`, r);
      const id = `${tier}.${prefix}`;
      const entry = lookups.get(id) ?? { served: 0, total: 0 };
      entry.total += r;
      // hits / (hits + misses + stale): the hit-ratio query's definition (src/observability/promql).
      if (result === 'hit') entry.served += r;
      lookups.set(id, entry);
    } else if (kind === 'evict' && tier && prefix && result) {
      const r = rate(key);
      sum(`evictions.${tier}.${prefix}`, r);
      sum(`evictions.${tier}.${prefix}.${result}`, r);
    } else if (kind === 'loads' || kind === 'inval' || kind === 'l2err') {
      const name = { loads: 'loads', inval: 'invalidations', l2err: 'l2_errors' }[kind];
      sum(`${name}.${tier}`, rate(key));
      if (kind === 'l2err') sum('l2_errors', rate(key));
    } else if (kind === 'coalesced' || kind === 'lock_takeovers') {
      out.set(kind, rate(key));
    }
  }
  for (const [id, { served, total }] of lookups) {
    if (total > 0) out.set(`hit_ratio.${id}`, served / total);
  }

  for (const [key, value] of now.gauges) {
    const [kind, prefix] = key.split('|');
    if (kind === 'entries') {
      out.set(`l1.entries.${prefix}`, value);
      sum('l1.entries', value);
    } else if (kind === 'bytes') out.set('l1.bytes', value);
    else if (kind === 'circuit') out.set('circuit', value);
  }

  // Latency and HTTP traffic from histograms: the window's own observations.
  const http = { rps: 0, errors: 0 };
  const httpAll = new Map<string, BucketCounts>();
  for (const [key, hist] of now.histograms) {
    const window = difference(hist, before.histograms.get(key));
    const count = window.cumulative[window.cumulative.length - 1] ?? 0;
    const [kind, a, b] = key.split('|');
    if (kind === 'op' && a && b) {
      quantiles(out, `latency.${a}.${b}`, window);
    } else if (kind === 'lock_wait') {
      out.set('lock_waits', count / seconds);
    } else if (kind === 'bus_lag') {
      quantiles(out, 'bus_lag', window);
    } else if (kind === 'http' && a && b) {
      sum(`http.rps.${a}`, count / seconds);
      http.rps += count / seconds;
      if (b === '5xx') {
        sum(`http.errors.${a}`, count / seconds);
        http.errors += count / seconds;
      }
      merge(httpAll, a, window);
      merge(httpAll, '', window);
    }
  }
  out.set('http.rps', http.rps);
  out.set('http.errors', http.errors);
  for (const [route, window] of httpAll) quantiles(out, route === '' ? 'http' : `http.${route}`, window);
  return out;
}

function quantiles(out: Map<string, number>, name: string, window: BucketCounts): void {
  const p50 = histogramQuantile(0.5, window.bounds, window.cumulative);
  const p99 = histogramQuantile(0.99, window.bounds, window.cumulative);
  if (Number.isFinite(p50)) out.set(`${name}.p50`, p50);
  if (Number.isFinite(p99)) out.set(`${name}.p99`, p99);
}

function difference(now: BucketCounts, before: BucketCounts | undefined): BucketCounts {
  if (!before || before.cumulative.length !== now.cumulative.length) return now;
  return { bounds: now.bounds, cumulative: now.cumulative.map((c, i) => Math.max(0, c - before.cumulative[i]!)) };
}

function merge(into: Map<string, BucketCounts>, key: string, window: BucketCounts): void {
  const existing = into.get(key);
  if (!existing) {
    into.set(key, { bounds: window.bounds, cumulative: [...window.cumulative] });
    return;
  }
  if (existing.cumulative.length !== window.cumulative.length) return;
  for (let i = 0; i < window.cumulative.length; i++) existing.cumulative[i]! += window.cumulative[i]!;
}
