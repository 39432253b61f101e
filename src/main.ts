import { type Config, ConfigError, loadConfig } from './config/config.ts';
import { createShopApp } from './http/app-env.ts';
import { registerMetricsRoute } from './http/routes/ops-routes.ts';
import { type EdgeLimits, type HttpListener, listenHttp } from './http/server.ts';
import { registerOpenConnectionsGauge } from './observability/connection-metrics.ts';
import { createLogger } from './observability/logger.ts';
import { type RedisClusterHandle, RedisServerMissingError, startRedisCluster } from './redis-cluster/index.ts';
import { createService } from './service.ts';

/**
 * `npm start`: validates configuration, starts a local Redis Cluster unless one is named,
 * serves the API, and on SIGTERM stops accepting, finishes in-flight requests, flushes
 * traces and closes Redis and SQLite.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);

  let localCluster: RedisClusterHandle | undefined;
  if (!config.REDIS_CLUSTER_NODES && config.REDIS_MODE === 'auto') {
    try {
      localCluster = await startRedisCluster({ log: (m) => logger.debug(m) });
      config = { ...config, REDIS_CLUSTER_NODES: [...localCluster.seeds] };
      logger.info(
        { nodes: localCluster.seedString },
        'started a local Redis Cluster (3 masters, 3 replicas); set REDIS_CLUSTER_NODES to use your own',
      );
    } catch (error) {
      if (!(error instanceof RedisServerMissingError)) throw error;
      const banner = '!'.repeat(78);
      logger.warn(
        { install: error.message },
        'redis-server is not installed: running on the in-process L1 cache alone',
      );
      process.stderr.write(
        `\n${banner}\n  NO REDIS: the cache runs on L1 only; instances will not share a cache.\n  ${error.message}\n${banner}\n\n`,
      );
    }
  }

  const service = createService({ config, logger, tracing: globalThis.__flowerShopTracing !== undefined });
  const limits: EdgeLimits = {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: config.HTTP_MAX_CONNECTIONS,
  };
  const listeners: HttpListener[] = [];
  listeners.push(await listenHttp({ fetch: service.app.fetch, port: config.PORT, hostname: config.HOST, limits }));
  logger.info(
    { url: `http://${config.HOST}:${listeners[0]!.port}`, instance: service.instanceId },
    'flower shop API listening',
  );
  if (config.METRICS_PORT > 0 && service.metrics) {
    const metricsApp = createShopApp();
    registerMetricsRoute(metricsApp, service.metrics, config.METRICS_TOKEN);
    listeners.push(
      await listenHttp({ fetch: metricsApp.fetch, port: config.METRICS_PORT, hostname: config.HOST, limits }),
    );
  }
  if (service.metrics)
    registerOpenConnectionsGauge(service.metrics.registry, () =>
      listeners.reduce((sum, listener) => sum + listener.openConnections(), 0),
    );
  const servers = listeners.map((listener) => listener.server);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    service.drain();
    // After the grace period, requests still running are cut off so shutdown completes; a
    // stuck close after that is a bug, and the process exits anyway.
    const cutOff = setTimeout(() => {
      logger.warn({ graceMs: config.SHUTDOWN_GRACE_MS }, 'grace period over: closing remaining connections');
      for (const server of servers) server.closeAllConnections();
    }, config.SHUTDOWN_GRACE_MS);
    cutOff.unref();
    const force = setTimeout(() => {
      logger.error('shutdown did not complete; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS + 5_000);
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
    await localCluster?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
