import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { AnswerSource, LookupResult, LookupTrace, PrefixRef } from '../cache/types.ts';

/**
 * Spans for cache lookups and loads. A span is made only when the request around it is being
 * recorded (sampled), so untraced requests pay one check and nothing else.
 */
export class CacheTracing {
  private readonly tracer: Tracer;

  constructor(tracer?: Tracer) {
    this.tracer = tracer ?? trace.getTracer('flower-shop-cache');
  }

  startLookup(prefix: PrefixRef, key: string): LookupTrace | undefined {
    const parent = trace.getActiveSpan();
    if (!parent?.isRecording()) return undefined;
    const span = this.tracer.startSpan(`cache.lookup ${prefix.name}`, {
      attributes: { 'cache.prefix': prefix.name, 'cache.key_length': key.length },
    });
    return new SpanLookupTrace(span);
  }

  traceLoad<T>(prefix: PrefixRef, fn: () => Promise<T>): Promise<T> {
    if (!trace.getActiveSpan()?.isRecording()) return fn();
    return this.tracer.startActiveSpan(
      `cache.load ${prefix.name}`,
      { attributes: { 'cache.prefix': prefix.name } },
      async (span) => {
        try {
          return await fn();
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }
}

class SpanLookupTrace implements LookupTrace {
  constructor(private readonly span: Span) {}

  within<T>(fn: () => Promise<T>): Promise<T> {
    return context.with(trace.setSpan(context.active(), this.span), fn);
  }

  tierReached(tier: AnswerSource, result: LookupResult): void {
    // A stale answer is not a hit, here as in cache_requests_total{result}.
    this.span.setAttributes({ 'cache.tier': tier, 'cache.result': result, 'cache.hit': result === 'hit' });
  }

  fail(error: unknown): void {
    this.span.recordException(error instanceof Error ? error : String(error));
    this.span.setStatus({ code: SpanStatusCode.ERROR });
  }

  end(): void {
    this.span.end();
  }
}
