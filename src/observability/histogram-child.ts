import { isSpanContextValid, TraceFlags, trace } from '@opentelemetry/api';
import type { Histogram } from 'prom-client';

/** What prom-client keeps per label set of a histogram (its internal shape in v15). */
interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

interface HistogramInternals {
  upperBounds: number[];
  hashMap: Record<string, HistogramEntry>;
  zero(labels: Record<string, string>): void;
}

export interface HistogramChild {
  observe(seconds: number): void;
}

/**
 * A histogram child that records into prom-client's own storage without going through
 * observe(), which hashes and validates the label set on every call (~1 µs, more than an L1
 * hit). The entry is created once with zero() and then updated in place; prom-client renders
 * it as usual, and its exemplar-carrying observe() keeps working on the same entry.
 *
 * This relies on prom-client 15's internal layout (hashMap, bucketValues keyed by bound);
 * the metrics tests read the rendered histograms back and fail if that layout changes.
 */
export function histogramChild<L extends string>(histogram: Histogram<L>, labels: Record<L, string>): HistogramChild {
  const internals = histogram as unknown as HistogramInternals;
  internals.zero(labels);
  const entry = Object.values(internals.hashMap).find((e) => e.labels === labels);
  if (!entry) throw new Error('prom-client histogram internals changed: entry not found after zero()');
  const bounds = internals.upperBounds;
  const keys = bounds.map(String);
  return {
    observe(seconds: number): void {
      if (!(seconds >= 0)) return;
      entry.sum += seconds;
      entry.count += 1;
      for (let i = 0; i < bounds.length; i++) {
        if (seconds <= bounds[i]!) {
          entry.bucketValues[keys[i]!]! += 1;
          return;
        }
      }
    },
  };
}

/**
 * The trace id of the active span when its trace is sampled, else undefined: an exemplar must
 * lead to a trace that was kept.
 */
export function sampledTraceId(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (!ctx || !isSpanContextValid(ctx) || (ctx.traceFlags & TraceFlags.SAMPLED) !== TraceFlags.SAMPLED)
    return undefined;
  return ctx.traceId;
}

/**
 * A histogram child that attaches a `trace_id` exemplar when the observation happens inside a
 * sampled trace (prom-client's slow, label-hashing observe), and takes the fast path otherwise.
 * The histogram must be created with `enableExemplars: true`.
 */
export function exemplarHistogramChild(histogram: Histogram<string>, labels: Record<string, string>): HistogramChild {
  const child = histogramChild(histogram, labels);
  return {
    observe(seconds: number): void {
      const traceId = sampledTraceId();
      if (traceId === undefined) child.observe(seconds);
      else histogram.observe({ labels, value: seconds, exemplarLabels: { trace_id: traceId } });
    },
  };
}
