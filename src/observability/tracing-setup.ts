import { createRequire } from 'node:module';
import { type CommandArgs, IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

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
export function startTracing(
  options: { spanProcessors?: SpanProcessor[]; env?: NodeJS.ProcessEnv } = {},
): TracingHandle {
  const env = options.env ?? process.env;
  // Sample a tenth of traces unless told otherwise: enough to find slow requests, cheap under load.
  env.OTEL_TRACES_SAMPLER ??= 'parentbased_traceidratio';
  env.OTEL_TRACES_SAMPLER_ARG ??= '0.1';
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  env.OTEL_SERVICE_NAME ??= 'flower-shop-api';
  const ioredis = new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: redisQueryText });
  const sdk = new NodeSDK({
    instrumentations: [ioredis],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  patchIoredis(ioredis);
  return { shutdown: () => sdk.shutdown() };
}

/**
 * A Redis span's db.query.text: the command and the keys it touches, never the values. The
 * instrumentation's default keeps every argument of EVAL/EVALSHA, and here those carry whole
 * cached entries (a catalogue page is tens of KB) into every span.
 */
export function redisQueryText(command: string, args: CommandArgs): string {
  const name = command.toLowerCase();
  let kept: number;
  if (name === 'eval' || name === 'evalsha')
    kept = 2 + (Number(args[1]) || 0); // script, numkeys, keys
  else if (name === 'mget' || name === 'del' || name === 'unlink' || name === 'exists')
    kept = args.length; // keys only
  else kept = Math.min(1, args.length); // the key, channel or subcommand
  const shown = args.slice(0, kept).map((a) => (typeof a === 'string' || typeof a === 'number' ? String(a) : '?'));
  if (args.length > kept) shown.push(`[${args.length - kept} other arguments]`);
  return [command, ...shown].join(' ');
}

function patchIoredis(instrumentation: IORedisInstrumentation): void {
  const require = createRequire(import.meta.url);
  const moduleExports: unknown = require('ioredis');
  const version = (require('ioredis/package.json') as { version: string }).version;
  for (const definition of instrumentation.getModuleDefinitions()) {
    definition.patch?.(moduleExports, version);
  }
}
