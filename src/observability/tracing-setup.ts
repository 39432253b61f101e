import { createRequire } from 'node:module';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';

export interface TracingHandle {
  shutdown(): Promise<void>;
}

/**
 * Whether the standard OTEL_* variables ask for tracing. Off unless an exporter or endpoint is
 * named, so a service started with nothing set does not try to reach a collector that isn't there.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_TRACES_EXPORTER || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry SDK (exporter, sampler and resource from OTEL_* variables) with the
 * ioredis instrumentation. ioredis is patched by hand: this service is ESM, and the loader hooks
 * that patch modules on import are not there unless Node is started with them.
 */
export function startTracing(options: { spanProcessors?: SpanProcessor[]; env?: NodeJS.ProcessEnv } = {}): TracingHandle {
  const env = options.env ?? process.env;
  // Sample a tenth of traces unless told otherwise: enough to find slow requests, cheap under load.
  env.OTEL_TRACES_SAMPLER ??= 'parentbased_traceidratio';
  env.OTEL_TRACES_SAMPLER_ARG ??= '0.1';
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  env.OTEL_SERVICE_NAME ??= 'flower-shop-api';
  const ioredis = new IORedisInstrumentation({ requireParentSpan: true });
  const sdk = new NodeSDK({
    instrumentations: [ioredis],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  patchIoredis(ioredis);
  return { shutdown: () => sdk.shutdown() };
}

function patchIoredis(instrumentation: IORedisInstrumentation): void {
  const require = createRequire(import.meta.url);
  const moduleExports: unknown = require('ioredis');
  const version = (require('ioredis/package.json') as { version: string }).version;
  for (const definition of instrumentation.getModuleDefinitions()) {
    definition.patch?.(moduleExports, version);
  }
}
