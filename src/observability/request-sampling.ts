import { randomFillSync } from 'node:crypto';
import {
  type Attributes,
  type Context,
  createContextKey,
  diag,
  type Link,
  type Span,
  type SpanKind,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  type IdGenerator,
  ParentBasedSampler,
  type Sampler,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';

/**
 * Sampling decided before a request has a span, so a request the sampler drops never builds one.
 *
 * The SDK's tracer decides only inside `startSpan`, after generating two ids, building the span's
 * attributes and a non-recording span: work a dropped request (nine in ten at the default 10%)
 * pays for nothing. Here the configured sampler is asked first, with the ids the request will
 * carry; only a request it keeps gets a span, and that span is made with the same ids and the
 * same decision (handed to the SDK through its id generator and this sampler, so the sampler is
 * not asked twice and a ratio decision holds for the trace id actually exported).
 */
export class RequestSampling {
  /** The SDK's sampler: the configured one, except for a span whose decision was made already. */
  readonly sampler: Sampler;
  /** The SDK's id generator: random ids, except for the span a decision was made for. */
  readonly idGenerator: IdGenerator;
  private readonly ids = new HandedIds();

  constructor(private readonly configured: Sampler) {
    this.sampler = new DecidedSampler(configured);
    this.idGenerator = this.ids;
  }

  /** The configured sampler's decision for a span that would have these ids and this parent. */
  decide(parent: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes): SamplingResult {
    return this.configured.shouldSample(parent, traceId, name, kind, attributes, NO_LINKS);
  }

  /**
   * Starts the span `decide` kept, with the ids it was decided on. `traceId` is the parent's for
   * a child of a remote parent (the SDK takes it from the parent then) and a new one for a root.
   */
  startSpan(
    tracer: Tracer,
    name: string,
    options: SpanOptions,
    parent: Context,
    decision: SamplingResult,
    ids: { traceId: string; spanId: string },
  ): Span {
    this.ids.hand(ids.traceId, ids.spanId);
    try {
      return tracer.startSpan(name, options, parent.setValue(DECIDED, decision));
    } finally {
      this.ids.clear();
    }
  }
}

const NO_LINKS: Link[] = [];
const DECIDED = createContextKey('flower-shop: sampling decision made for this span');

/** Delegates to the configured sampler unless the span's context carries its decision. */
class DecidedSampler implements Sampler {
  constructor(private readonly configured: Sampler) {}

  shouldSample(
    context: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const decided = context.getValue(DECIDED) as SamplingResult | undefined;
    return decided ?? this.configured.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return this.configured.toString();
  }
}

/** Random ids, or the ids handed over for the next span (taken once each, synchronously). */
class HandedIds implements IdGenerator {
  private traceId: string | undefined;
  private spanId: string | undefined;

  hand(traceId: string, spanId: string): void {
    this.traceId = traceId;
    this.spanId = spanId;
  }

  clear(): void {
    this.traceId = undefined;
    this.spanId = undefined;
  }

  generateTraceId(): string {
    const id = this.traceId;
    if (id === undefined) return newTraceId();
    this.traceId = undefined;
    return id;
  }

  generateSpanId(): string {
    const id = this.spanId;
    if (id === undefined) return newSpanId();
    this.spanId = undefined;
    return id;
  }
}

/**
 * Random bytes drawn 4 KiB at a time (one randomFillSync per 170 trace ids) and handed out as
 * flat hex strings: the sampler reads every character of a trace id, and a string built by
 * concatenating parts would be flattened there first (measured: the slower of the two).
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

function randomHex(bytes: number): string {
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** A W3C trace id: 32 lowercase hex digits, not all zero (the invalid id, replaced as the SDK does). */
export function newTraceId(): string {
  const id = randomHex(16);
  return id === ZERO_TRACE_ID ? `${'0'.repeat(31)}1` : id;
}

/** A W3C span id: 16 lowercase hex digits, not all zero. */
export function newSpanId(): string {
  const id = randomHex(8);
  return id === ZERO_SPAN_ID ? `${'0'.repeat(15)}1` : id;
}

/**
 * The sampler OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG name, as the SDK builds it from the
 * environment (the SDK does not export its builder): an unknown name, or none, is the SDK's
 * default, parent-based always-on; a missing or out-of-range ratio is 1.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim();
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratioFromEnv(env));
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratioFromEnv(env)) });
    default:
      if (name) diag.error(`unknown OTEL_TRACES_SAMPLER value "${name}", using default`);
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function ratioFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const ratio = raw ? Number(raw) : Number.NaN;
  if (Number.isNaN(ratio)) {
    diag.error('OTEL_TRACES_SAMPLER_ARG is blank, defaulting to 1.');
    return 1;
  }
  if (ratio < 0 || ratio > 1) {
    diag.error(`OTEL_TRACES_SAMPLER_ARG=${ratio} was given, but it is out of range ([0..1]), defaulting to 1.`);
    return 1;
  }
  return ratio;
}

let installed: RequestSampling | undefined;

/** The request sampling startTracing installed in this process, if it did. */
export function installedRequestSampling(): RequestSampling | undefined {
  return installed;
}

export function installRequestSampling(sampling: RequestSampling | undefined): void {
  installed = sampling;
}
