/**
 * Traces of a real HTTP request: the server span named by route template, the cache lookup
 * under it with where the answer came from, the Redis commands and the database load under
 * the lookup; and the trace id as an exemplar on the latency histogram.
 *
 * The OpenTelemetry SDK is global to the process (one tracer provider), so it lives in this
 * file alone: vitest runs each file in its own fork.
 */

import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INVALIDATE_KEY, RELEASE_LOCK, SET_IF_VERSION } from '../src/cache/redis-scripts.ts';
import { createLogger } from '../src/observability/logger.ts';
import { luaScriptName, startTracing, type TracingHandle } from '../src/observability/tracing-setup.ts';

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

import { startTestService, type TestService, waitFor } from './harness/service.ts';
import { parseExposition } from './helpers/prometheus-server.ts';

const exporter = new InMemorySpanExporter();
let tracing: TracingHandle;
let svc: TestService;
const logLines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});

function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

function isRedis(span: ReadableSpan): boolean {
  return (
    span.instrumentationScope.name === '@opentelemetry/instrumentation-ioredis' &&
    span.attributes['db.system.name'] === 'redis'
  );
}

function childrenOf(spans: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
  return spans.filter((s) => parentId(s) === parent.spanContext().spanId);
}

/** Every span of the trace whose root is the server span of the request to `path`. */
async function traceOf(
  path: string,
  init?: RequestInit,
): Promise<{ server: ReadableSpan; spans: ReadableSpan[]; status: number }> {
  exporter.reset();
  const res = await fetch(svc.url + path, init);
  await res.arrayBuffer();
  let server: ReadableSpan | undefined;
  // The server span ends in the middleware's finally, just after the response is handed over.
  await waitFor(
    () => {
      server = exporter.getFinishedSpans().find((s) => s.attributes['url.path'] === path.split('?')[0]);
      return server !== undefined;
    },
    2_000,
    `the server span of ${path}`,
  );
  const traceId = server!.spanContext().traceId;
  return {
    server: server!,
    spans: exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId),
    status: res.status,
  };
}

beforeAll(async () => {
  // Every request without a caller is sampled; a caller's traceparent decides for its request.
  process.env['OTEL_TRACES_SAMPLER'] = 'parentbased_always_on';
  tracing = startTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  // Slow bus heartbeats: a gap (a stalled event loop on a loaded machine) would clear L1 between the two reads below.
  svc = await startTestService({
    tracing: true,
    listen: true,
    logger: createLogger('info', logSink),
    env: { CACHE_BUS_HEARTBEAT_MS: '500' },
    // A route that fails as a broken dependency would, through the app's error handler.
    extraRoutes: (app) => {
      app.get('/api/test-failure', () => {
        throw new Error('simulated failure');
      });
    },
  });
});

afterAll(async () => {
  await svc?.close();
  await tracing?.shutdown();
});

describe('request traces', () => {
  let coldTraceId = '';
  let warmTraceId = '';

  beforeEach(() => exporter.reset());

  it('a cold product: server span → cache.lookup (origin, miss) → Redis commands and cache.load', async () => {
    const { server, spans, status } = await traceOf('/api/products/42');
    expect(status).toBe(200);
    coldTraceId = server.spanContext().traceId;

    expect(server.name).toBe('GET /api/products/:id');
    expect(server.attributes['http.route']).toBe('/api/products/:id');
    expect(server.attributes['http.response.status_code']).toBe(200);
    expect(server.attributes['http.request.method']).toBe('GET');
    expect(server.attributes['url.scheme']).toBe('http');
    expect(server.attributes['error.type']).toBeUndefined();
    expect(parentId(server)).toBeUndefined();

    const lookups = childrenOf(spans, server).filter((s) => s.name === 'cache.lookup product');
    expect(lookups).toHaveLength(1);
    const lookup = lookups[0]!;
    expect(lookup.attributes).toMatchObject({
      'cache.prefix': 'product',
      'cache.tier': 'origin',
      'cache.result': 'miss',
      'cache.hit': false,
    });

    const under = childrenOf(spans, lookup);
    const names = under.map((s) => s.name);
    expect(names).toContain('cache.load product');
    // ioredis instrumentation names spans after the command: the entry+version read, the load
    // lock, the conditional write (a Lua script).
    expect(names).toContain('mget');
    expect(names).toContain('set');
    // The conditional write is a Lua script, named after itself rather than `evalsha`.
    expect(names.some((n) => n === 'evalsha set_if_version' || n === 'eval set_if_version')).toBe(true);
    expect(names).not.toContain('evalsha');
    for (const redisSpan of under.filter((s) => s.name !== 'cache.load product')) {
      expect(isRedis(redisSpan), redisSpan.name).toBe(true);
      // Keys only: the cached value (the product's JSON) stays out of span attributes.
      const text = String(redisSpan.attributes['db.query.text']);
      expect(text, redisSpan.name).not.toContain('sku');
      expect(text.length, text).toBeLessThan(200);
    }
    // Every Redis span of this request (tag reads, connection set-up included) sits under the
    // lookup: none escaped to the server span or to no parent through auto-pipelining.
    const redisSpans = spans.filter(isRedis);
    expect(redisSpans.length).toBeGreaterThanOrEqual(3);
    const outside = redisSpans.filter((s) => parentId(s) !== lookup.spanContext().spanId);
    expect(
      outside.map(
        (s) => `${s.name} (parent ${parentId(s) === server.spanContext().spanId ? 'server' : String(parentId(s))})`,
      ),
    ).toEqual([]);
  });

  it('an unknown HTTP method is `_OTHER` (span named `HTTP <route>`), the original kept apart', async () => {
    const { server } = await traceOf('/api/nothing-here', { method: 'PROPFIND' });
    expect(server.attributes['http.request.method']).toBe('_OTHER');
    expect(server.attributes['http.request.method_original']).toBe('PROPFIND');
    expect(server.name).toBe(`HTTP ${String(server.attributes['http.route'])}`);
  });

  it('a 5xx sets error.type to the status code', async () => {
    const { server, status } = await traceOf('/api/test-failure');
    expect(status).toBe(500);
    expect(server.attributes['error.type']).toBe('500');
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('names the Lua scripts apart: each of the cache scripts, and `_OTHER` for any other', () => {
    expect(luaScriptName('evalsha', [sha1(SET_IF_VERSION), '2'])).toBe('set_if_version');
    expect(luaScriptName('EVALSHA', [sha1(INVALIDATE_KEY), '2'])).toBe('invalidate_key');
    expect(luaScriptName('eval', [RELEASE_LOCK, '1'])).toBe('release_lock');
    expect(luaScriptName('evalsha', ['0'.repeat(40), '0'])).toBe('_OTHER');
    expect(luaScriptName('get', ['k'])).toBeUndefined();
  });

  it('the same product again: the lookup says l1 hit, with no Redis and no load under it', async () => {
    const { server, spans } = await traceOf('/api/products/42');
    warmTraceId = server.spanContext().traceId;
    const lookup = childrenOf(spans, server).find((s) => s.name === 'cache.lookup product');
    expect(lookup?.attributes).toMatchObject({
      'cache.prefix': 'product',
      'cache.tier': 'l1',
      'cache.result': 'hit',
      'cache.hit': true,
    });
    expect(childrenOf(spans, lookup!)).toEqual([]);
    expect(spans.filter(isRedis)).toEqual([]);
  });

  it('the latency histogram carries the trace id as an exemplar in OpenMetrics', async () => {
    expect(coldTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(warmTraceId).toMatch(/^[0-9a-f]{32}$/);
    const res = await fetch(`${svc.url}/metrics`, {
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    });
    const exposition = parseExposition(await res.text());
    const buckets = exposition.samples.filter(
      (s) =>
        s.name === 'http_server_request_duration_seconds_bucket' &&
        s.labels['route'] === '/api/products/:id' &&
        s.exemplar !== undefined,
    );
    const exemplarTraces = buckets.map((s) => s.exemplar!.labels['trace_id']);
    // Each bucket keeps its latest exemplar: the warm request (the last of that status) is
    // there for sure; the cold one unless the warm one landed in the same bucket.
    expect(exemplarTraces).toContain(warmTraceId);
    for (const id of exemplarTraces) expect([coldTraceId, warmTraceId]).toContain(id);
    const warm = buckets.find((s) => s.exemplar!.labels['trace_id'] === warmTraceId)!;
    // The exemplar's value is the request's duration, inside the bucket it is attached to.
    expect(warm.exemplar!.value).toBeLessThanOrEqual(Number(warm.labels['le']));
  });

  it('a caller’s traceparent is continued: same trace id, the caller’s span as parent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const { server } = await traceOf('/api/products/43', {
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect(server.spanContext().traceId).toBe(traceId);
    expect(parentId(server)).toBe(callerSpan);
  });
});

describe('a request the sampler drops', () => {
  it('a caller’s unsampled traceparent: no span, no exemplar, and the log line carries the caller’s trace id', async () => {
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4737';
    const callerSpan = '00f067aa0ba902b8';
    exporter.reset();
    const res = await fetch(`${svc.url}/api/products/44`, {
      headers: { traceparent: `00-${traceId}-${callerSpan}-00` },
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await waitFor(() => logLines.some((l) => l.includes(traceId)), 2_000, 'the request log line');
    const line = JSON.parse(logLines.find((l) => l.includes(traceId))!) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: 'request', route: '/api/products/:id', status: 200, trace_id: traceId });
    expect(line['span_id']).toMatch(/^[0-9a-f]{16}$/);
    expect(line['span_id']).not.toBe(callerSpan);
    // The span would have ended before the log line was written: none was made.
    expect(exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId)).toEqual([]);
    const exposition = parseExposition(
      await (
        await fetch(`${svc.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })
      ).text(),
    );
    expect(exposition.samples.filter((s) => s.exemplar?.labels['trace_id'] === traceId)).toEqual([]);
  });
});

describe('logs', () => {
  it('carry the trace id of the request on its log line', async () => {
    const { server } = await traceOf('/api/categories');
    const traceId = server.spanContext().traceId;
    await waitFor(() => logLines.some((l) => l.includes(traceId)), 2_000, 'the request log line');
    const line = JSON.parse(logLines.find((l) => l.includes(traceId))!) as Record<string, unknown>;
    expect(line).toMatchObject({
      msg: 'request',
      method: 'GET',
      route: '/api/categories',
      status: 200,
      trace_id: traceId,
      span_id: server.spanContext().spanId,
    });
  });
});
