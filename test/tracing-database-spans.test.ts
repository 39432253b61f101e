import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, type TracingHandle } from '../src/observability/tracing-setup.ts';
import { BACKENDS, storeEnv, usePostgresServer } from './harness/backends.ts';
import { startTestService, type TestService, waitFor } from './harness/service.ts';

/**
 * Database spans of a cache miss, on both backends: the store operation's span (OpenTelemetry
 * database conventions) and, on PostgreSQL, the pg instrumentation's statement spans under it.
 * The SDK is global to the process, so it lives in this file alone.
 */
const exporter = new InMemorySpanExporter();
let tracing: TracingHandle;
const postgres = usePostgresServer();

beforeAll(() => {
  process.env['OTEL_TRACES_SAMPLER'] = 'always_on';
  tracing = startTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
});
afterAll(async () => {
  await tracing?.shutdown();
});

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe.each(BACKENDS)('database spans on %s', (backend) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ tracing: true, listen: true, env: await storeEnv(backend, postgres) });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('a cold product read has one SELECT products span with the database attributes, under the request', async () => {
    exporter.reset();
    const res = await fetch(`${svc.url}/api/products/42`);
    expect(res.status).toBe(200);
    let db: ReadableSpan | undefined;
    await waitFor(
      () => {
        db = exporter.getFinishedSpans().find((s) => s.attributes['shop.db.statement'] === 'product_by_id');
        return db !== undefined;
      },
      5_000,
      'the database span',
    );
    expect(db!.name).toBe('SELECT products');
    expect(db!.attributes).toMatchObject({
      'db.system.name': backend,
      'db.operation.name': 'SELECT',
      'db.collection.name': 'products',
      'db.query.summary': 'SELECT products',
    });
    const traceId = db!.spanContext().traceId;
    const trace = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    expect(trace.some((s) => s.name === 'GET /api/products/:id')).toBe(true);
    const statements = trace.filter(
      (s) =>
        s.instrumentationScope.name === '@opentelemetry/instrumentation-pg' && parentOf(s) === db!.spanContext().spanId,
    );
    if (backend === 'postgresql') {
      const query = statements.find((s) => typeof s.attributes['db.query.text'] === 'string');
      expect(query?.attributes['db.system.name']).toBe('postgresql');
      // Parameters stay placeholders: no value of the request reaches the span.
      expect(String(query?.attributes['db.query.text'])).toContain('$1');
    } else {
      expect(statements).toEqual([]);
    }
  });
});
