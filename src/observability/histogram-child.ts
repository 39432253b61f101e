import { isSpanContextValid, TraceFlags, trace } from '@opentelemetry/api';
import type { Histogram } from 'prom-client';

/** What prom-client keeps per label set of a histogram (its internal shape in v15). */
interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
  /** Present when the histogram keeps exemplars: the latest per bucket bound ('-1' past the last). */
  bucketExemplars?: Record<string, { labelSet: Record<string, string>; value: number; timestamp: number }>;
}

interface HistogramInternals {
  upperBounds: number[];
  hashMap: Record<string, HistogramEntry>;
  zero(labels: Record<string, string>): void;
}

function hasInternals(histogram: object): histogram is HistogramInternals {
  return (
    'hashMap' in histogram &&
    typeof histogram.hashMap === 'object' &&
    'upperBounds' in histogram &&
    Array.isArray(histogram.upperBounds) &&
    'zero' in histogram &&
    typeof histogram.zero === 'function'
  );
}

export interface HistogramChild {
  observe(seconds: number): void;
  /** observe(), and the observation as its bucket's exemplar (histograms with enableExemplars). */
  observeWithExemplar(seconds: number, traceId: string): void;
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
  if (!hasInternals(histogram)) throw new Error('prom-client histogram internals changed: no hashMap/upperBounds/zero');
  const internals = histogram;
  internals.zero(labels);
  const entry = Object.values(internals.hashMap).find((e) => e.labels === labels);
  if (!entry) throw new Error('prom-client histogram internals changed: entry not found after zero()');
  const bounds = internals.upperBounds;
  const keys = bounds.map(String);
  const observe = (seconds: number): string => {
    entry.sum += seconds;
    entry.count += 1;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        entry.bucketValues[keys[i]!]! += 1;
        return keys[i]!;
      }
    }
    return '-1';
  };
  return {
    observe(seconds: number): void {
      if (seconds >= 0) observe(seconds);
    },
    // What prom-client's updateExemplar does, without hashing the label set again.
    observeWithExemplar(seconds: number, traceId: string): void {
      if (!(seconds >= 0)) return;
      const bound = observe(seconds);
      if (entry.bucketExemplars)
        entry.bucketExemplars[bound] = { labelSet: { trace_id: traceId }, value: seconds, timestamp: Date.now() / 1e3 };
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
 * sampled trace. The histogram must be created with `enableExemplars: true`.
 */
export function exemplarHistogramChild(histogram: Histogram<string>, labels: Record<string, string>): HistogramChild {
  const child = histogramChild(histogram, labels);
  return {
    observe(seconds: number): void {
      const traceId = sampledTraceId();
      if (traceId === undefined) child.observe(seconds);
      else child.observeWithExemplar(seconds, traceId);
    },
    observeWithExemplar: child.observeWithExemplar,
  };
}
