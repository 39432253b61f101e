import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Span } from '@opentelemetry/api';
import {
  type CommandArgs,
  IORedisInstrumentation,
  type IORedisRequestHookInformation,
} from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { INVALIDATE_KEY, RELEASE_LOCK, SET_IF_VERSION } from '../cache/redis-scripts.ts';
import { installRequestSampling, RequestSampling, samplerFromEnv } from './request-sampling.ts';

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
  const ioredis = new IORedisInstrumentation({
    requireParentSpan: true,
    dbStatementSerializer: redisQueryText,
    requestHook: nameLuaScriptSpan,
  });
  // PostgreSQL statement spans (db.system.name=postgresql, db.query.text with parameters as placeholders only).
  const pg = new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false });
  // The sampler is built here rather than by the SDK so that the request tracer can ask it before
  // making a span (request-sampling.ts): a request it drops then costs no span at all.
  const sampling = new RequestSampling(samplerFromEnv(env));
  const sdk = new NodeSDK({
    instrumentations: [ioredis, pg],
    sampler: sampling.sampler,
    idGenerator: sampling.idGenerator,
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  installRequestSampling(sampling);
  patchIoredis(ioredis);
  patchPg(pg);
  return {
    shutdown: () => {
      installRequestSampling(undefined);
      return sdk.shutdown();
    },
  };
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

/** node-postgres is patched by hand too (see startTracing): its Client, and pg-pool's Pool as pg loads it. */
function patchPg(instrumentation: PgInstrumentation): void {
  const require = createRequire(import.meta.url);
  const fromPg = createRequire(require.resolve('pg'));
  // pg-pool's exports map hides its package.json: its version is read beside its main file.
  const versionBeside = (main: string): string => {
    let dir = dirname(main);
    while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  };
  const modules: Record<string, { exports: unknown; version: string }> = {
    pg: { exports: require('pg'), version: versionBeside(require.resolve('pg')) },
    'pg-pool': { exports: fromPg('pg-pool'), version: versionBeside(fromPg.resolve('pg-pool')) },
  };
  for (const definition of instrumentation.getModuleDefinitions()) {
    const module = modules[definition.name];
    if (module) definition.patch?.(module.exports, module.version);
  }
}

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

/** The cache's Lua scripts by SHA1 (what EVALSHA sends), named for spans. */
const LUA_SCRIPTS = new Map<string, string>([
  [sha1(SET_IF_VERSION), 'set_if_version'],
  [sha1(INVALIDATE_KEY), 'invalidate_key'],
  [sha1(RELEASE_LOCK), 'release_lock'],
]);

/** The name of the script an EVAL/EVALSHA runs: one of the cache's, or `_OTHER`. */
export function luaScriptName(command: string, args: CommandArgs): string | undefined {
  const name = command.toLowerCase();
  if (name !== 'evalsha' && name !== 'eval') return undefined;
  const first = args[0];
  const text = typeof first === 'string' ? first : Buffer.isBuffer(first) ? first.toString() : '';
  return LUA_SCRIPTS.get(name === 'evalsha' ? text.toLowerCase() : sha1(text)) ?? '_OTHER';
}

/**
 * Every Lua script would otherwise be a span named `evalsha`: name it after the script, as the
 * database semantic conventions do for stored procedures (`{operation} {target}`).
 */
function nameLuaScriptSpan(span: Span, info: IORedisRequestHookInformation): void {
  const script = luaScriptName(info.cmdName, info.cmdArgs);
  if (script === undefined) return;
  span.updateName(`${info.cmdName.toLowerCase()} ${script}`);
  span.setAttributes({ 'db.operation.name': info.cmdName.toUpperCase(), 'db.stored_procedure.name': script });
}
