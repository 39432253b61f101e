import { type Config, ConfigError, loadConfig } from './config/config.ts';
import { assertDatabaseWritable, assertPortFree, listenFailure } from './config/preflight.ts';
import { EXIT_CODES, StartupError } from './config/startup-error.ts';
import { createShopApp } from './http/app-env.ts';
import { registerMetricsRoute } from './http/routes/ops-routes.ts';
import { type EdgeLimits, type HttpListener, listenHttp } from './http/server.ts';
import { registerOpenConnectionsGauge } from './observability/connection-metrics.ts';
import { createLogger, flushLogs, type Logger } from './observability/logger.ts';
import { createService, type Service } from './service.ts';
import {
  DATABASE_START_WAIT_MS,
  databaseStartupFailure,
  describeDatabase,
  isDatabaseNotReady,
} from './startup/database.ts';
import { limitHeapGrowth } from './startup/heap-growth.ts';
import { connectRedis, type RedisAttachment } from './startup/redis.ts';
import { startShutdownWatchdog } from './startup/shutdown-watchdog.ts';

/** Shutdown completes within SHUTDOWN_GRACE_MS plus this, whatever stdout or a dependency does. */
const SHUTDOWN_BOUND_MS = 5_000;

/** What has been started so far, stopped again if a later step of the start fails. */
let redisAttachment: RedisAttachment | undefined;

/**
 * `npm start`: validates configuration, checks the port and the database path, connects to (or
 * launches, or joins) a Redis Cluster, serves the API, and on SIGTERM stops accepting, finishes
 * in-flight requests, flushes traces and closes Redis and SQLite.
 */
async function main(): Promise<void> {
  let config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  limitHeapGrowth(config.HEAP_GROWING_PERCENT);

  // Cheap checks first, so nothing is launched for a start that cannot succeed.
  await assertPortFree('PORT', config.HOST, config.PORT);
  if (config.METRICS_PORT > 0) await assertPortFree('METRICS_PORT', config.HOST, config.METRICS_PORT);
  if (config.DATABASE_URL === undefined) assertDatabaseWritable(config.DATABASE_PATH);

  redisAttachment = await connectRedis(config, logger);
  config = { ...config, REDIS_CLUSTER_NODES: redisAttachment.seeds };

  const service = await openService(config, logger, redisAttachment);
  const listeners = await listen(config, service);
  logger.info(
    {
      url: `http://${config.HOST}:${listeners[0]!.port}`,
      instance: service.instanceId,
      database: describeDatabase(config),
    },
    'flower shop API listening',
  );
  const attachment = redisAttachment;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    void shutdown({ signal, config, logger, service, listeners, attachment });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function openService(config: Config, logger: Logger, redis: RedisAttachment): Promise<Service> {
  const deadline = Date.now() + DATABASE_START_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await createService({
        config,
        logger,
        tracing: globalThis.__flowerShopTracing !== undefined,
        redisConnection: redis.connection,
      });
    } catch (error) {
      if (config.DATABASE_URL === undefined) throw sqliteStartupFailure(config, error);
      if (!isDatabaseNotReady(error) || Date.now() > deadline) throw databaseStartupFailure(config, error);
      logger.warn({ database: describeDatabase(config), attempt }, 'PostgreSQL not reachable yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 200 * attempt)));
    }
  }
}

/** The path was checked writable: what remains is a file SQLite cannot use. */
function sqliteStartupFailure(config: Config, error: unknown): unknown {
  const cause = error instanceof Error && error.name === 'StoreUnavailableError' ? error.cause : error;
  if (!(cause instanceof Error && cause.name === 'SqliteError')) return error;
  const code = 'code' in cause ? String(cause.code) : 'SQLITE_ERROR';
  return new StartupError(
    'database',
    `DATABASE_PATH: ${config.DATABASE_PATH} cannot be used as the shop database (${code}: ${cause.message}); ` +
      'point DATABASE_PATH at a new file or restore this one',
  );
}

async function listen(config: Config, service: Service): Promise<HttpListener[]> {
  const limits: EdgeLimits = {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: config.HTTP_MAX_CONNECTIONS,
  };
  const listenOn = (variable: string, port: number, fetch: Parameters<typeof listenHttp>[0]['fetch']) =>
    listenHttp({ fetch, port, hostname: config.HOST, limits }).catch((error: unknown) => {
      throw listenFailure(variable, config.HOST, port, error);
    });
  const listeners = [await listenOn('PORT', config.PORT, service.app.fetch)];
  if (config.METRICS_PORT > 0 && service.metrics) {
    const metricsApp = createShopApp();
    registerMetricsRoute(metricsApp, service.metrics, config.METRICS_TOKEN);
    listeners.push(await listenOn('METRICS_PORT', config.METRICS_PORT, metricsApp.fetch));
  }
  if (service.metrics)
    registerOpenConnectionsGauge(service.metrics.registry, () =>
      listeners.reduce((sum, listener) => sum + listener.openConnections(), 0),
    );
  return listeners;
}

async function shutdown(options: {
  signal: string;
  config: Config;
  logger: Logger;
  service: Service;
  listeners: HttpListener[];
  attachment: RedisAttachment;
}): Promise<void> {
  const { config, logger, service } = options;
  const graceMs = config.SHUTDOWN_GRACE_MS;
  // Armed before anything that could block: stdout, a trace exporter, Redis, SQLite.
  startShutdownWatchdog(graceMs + SHUTDOWN_BOUND_MS);
  logger.info({ signal: options.signal }, 'shutting down: draining in-flight requests');
  service.drain();
  const servers = options.listeners.map((listener) => listener.server);
  // After the grace period, requests still running are cut off so shutdown completes.
  const cutOff = setTimeout(() => {
    logger.warn({ graceMs }, 'grace period over: closing remaining connections');
    for (const server of servers) server.closeAllConnections();
  }, graceMs);
  cutOff.unref();
  const force = setTimeout(
    () => {
      logger.error('shutdown did not complete; exiting');
      process.exit(1);
    },
    graceMs + SHUTDOWN_BOUND_MS / 2,
  );
  force.unref();
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Idle keep-alive connections would hold close() open; in-flight ones finish first.
          server.closeIdleConnections();
        }),
    ),
  );
  await globalThis.__flowerShopTracing
    ?.shutdown()
    .catch((error: unknown) => logger.warn({ err: error }, 'trace flush failed'));
  await service.close();
  await options.attachment.release();
  logger.info('stopped');
  // The log's last chunk may be in a pool thread's write: exiting now could cut it off.
  await flushLogs(logger, 1_000);
  process.exit(0);
}

function fail(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`flower-shop-api: cannot start: ${error.message}\n`);
    process.exit(EXIT_CODES.config);
  }
  if (error instanceof StartupError) {
    process.stderr.write(`flower-shop-api: cannot start: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(EXIT_CODES.unexpected);
}

main().catch(async (error: unknown) => {
  // A local cluster launched (or joined) for this start is not left behind.
  await redisAttachment?.release().catch(() => undefined);
  fail(error);
});
