/**
 * The sampling decision made before a request has a span (src/observability/request-sampling.ts):
 * the configured sampler is asked once, with the ids the request carries; a kept request's span
 * takes exactly those ids and that decision; nothing leaks to the spans made after it.
 */
import {
  type Attributes,
  type Context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  SpanKind,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { newSpanId, newTraceId, RequestSampling, samplerFromEnv } from '../src/observability/request-sampling.ts';

/** The configured sampler, counting how often it is asked. */
class Counting implements Sampler {
  calls = 0;
  constructor(private readonly inner: Sampler) {}
  shouldSample(c: Context, id: string, name: string, kind: SpanKind, attrs: Attributes, links: Link[]): SamplingResult {
    this.calls++;
    return this.inner.shouldSample(c, id, name, kind, attrs, links);
  }
  toString(): string {
    return this.inner.toString();
  }
}

function setUp(ratio: number) {
  const ratioSampler = new TraceIdRatioBasedSampler(ratio);
  const configured = new Counting(new ParentBasedSampler({ root: ratioSampler }));
  const sampling = new RequestSampling(configured);
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    sampler: sampling.sampler,
    idGenerator: sampling.idGenerator,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { ratioSampler, configured, sampling, exporter, tracer: provider.getTracer('test') };
}

const attributes = { 'url.path': '/api/products/42' };
const options = { kind: SpanKind.SERVER, attributes };

describe('request sampling', () => {
  it('ids are W3C trace and span ids', () => {
    for (let i = 0; i < 1000; i++) {
      const ctx = { traceId: newTraceId(), spanId: newSpanId(), traceFlags: TraceFlags.NONE };
      expect(ctx.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(ctx.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(isSpanContextValid(ctx)).toBe(true);
    }
  });

  it('asks the configured sampler once per request; a kept request’s span has the ids and the decision it was kept with', () => {
    const { ratioSampler, configured, sampling, exporter, tracer } = setUp(0.5);
    let kept = 0;
    for (let i = 0; i < 400; i++) {
      const ids = { traceId: newTraceId(), spanId: newSpanId() };
      const decision = sampling.decide(ROOT_CONTEXT, ids.traceId, 'GET', SpanKind.SERVER, attributes);
      // The same decision the SDK's ratio sampler makes for that trace id.
      expect(decision.decision).toBe(ratioSampler.shouldSample(ROOT_CONTEXT, ids.traceId).decision);
      if (decision.decision === SamplingDecision.NOT_RECORD) continue;
      kept++;
      const span = sampling.startSpan(tracer, 'GET', options, ROOT_CONTEXT, decision, ids);
      expect(span.spanContext()).toMatchObject({ ...ids, traceFlags: TraceFlags.SAMPLED });
      span.end();
    }
    // Once per request: the span's own start did not ask again.
    expect(configured.calls).toBe(400);
    expect(kept).toBeGreaterThan(100);
    expect(kept).toBeLessThan(300);
    expect(exporter.getFinishedSpans()).toHaveLength(kept);
  });

  it('spans made after a kept one get their own ids, and children are sampled by the configured sampler', () => {
    const { configured, sampling, exporter, tracer } = setUp(1);
    const ids = { traceId: newTraceId(), spanId: newSpanId() };
    const decision = sampling.decide(ROOT_CONTEXT, ids.traceId, 'GET', SpanKind.SERVER, attributes);
    const server = sampling.startSpan(tracer, 'GET', options, ROOT_CONTEXT, decision, ids);
    const child = tracer.startSpan('cache.lookup product', {}, trace.setSpan(ROOT_CONTEXT, server));
    const nextRoot = tracer.startSpan('other');
    expect(child.spanContext().traceId).toBe(ids.traceId);
    expect(child.spanContext().spanId).not.toBe(ids.spanId);
    expect(child.isRecording()).toBe(true);
    expect(nextRoot.spanContext().traceId).not.toBe(ids.traceId);
    expect(nextRoot.spanContext().spanId).not.toBe(ids.spanId);
    // decide, then the child and the new root: each asked the configured sampler once.
    expect(configured.calls).toBe(3);
    for (const s of [child, nextRoot, server]) s.end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['cache.lookup product', 'other', 'GET']);
  });

  it('a caller’s traceparent decides: its sampled flag is honoured, and the span continues its trace', () => {
    const { sampling, exporter, tracer } = setUp(0);
    const caller = { traceId: newTraceId(), spanId: newSpanId(), isRemote: true };
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, { ...caller, traceFlags: TraceFlags.NONE });
    expect(sampling.decide(unsampled, caller.traceId, 'GET', SpanKind.SERVER, attributes).decision).toBe(
      SamplingDecision.NOT_RECORD,
    );
    const sampled = trace.setSpanContext(ROOT_CONTEXT, { ...caller, traceFlags: TraceFlags.SAMPLED });
    const decision = sampling.decide(sampled, caller.traceId, 'GET', SpanKind.SERVER, attributes);
    expect(decision.decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    const spanId = newSpanId();
    const span = sampling.startSpan(tracer, 'GET', options, sampled, decision, { traceId: caller.traceId, spanId });
    expect(span.spanContext()).toMatchObject({ traceId: caller.traceId, spanId, traceFlags: TraceFlags.SAMPLED });
    span.end();
    expect(exporter.getFinishedSpans()[0]?.parentSpanContext?.spanId).toBe(caller.spanId);
  });

  it('builds the sampler OTEL_TRACES_SAMPLER names, as the SDK does', () => {
    const of = (env: NodeJS.ProcessEnv) => samplerFromEnv(env).toString();
    expect(of({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' })).toMatch(
      /^ParentBased\{root=TraceIdRatioBased\{0.1\}/,
    );
    expect(of({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toBe(
      'TraceIdRatioBased{0.25}',
    );
    expect(of({ OTEL_TRACES_SAMPLER: 'always_on' })).toBe('AlwaysOnSampler');
    expect(of({ OTEL_TRACES_SAMPLER: 'always_off' })).toBe('AlwaysOffSampler');
    expect(of({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' })).toMatch(/^ParentBased\{root=AlwaysOffSampler/);
    expect(of({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' })).toBe('TraceIdRatioBased{1}');
    expect(of({ OTEL_TRACES_SAMPLER: 'traceidratio' })).toBe('TraceIdRatioBased{1}');
    expect(of({})).toMatch(/^ParentBased\{root=AlwaysOnSampler/);
    expect(of({ OTEL_TRACES_SAMPLER: 'no_such_sampler' })).toMatch(/^ParentBased\{root=AlwaysOnSampler/);
  });
});
