import { createServer } from 'node:net';
import { RedisClusterError } from './errors.ts';

/** Redis Cluster binds a bus port at port + 10000, which must stay <= 65535. */
export const CLUSTER_BUS_OFFSET = 10_000;
const MAX_NODE_PORT = 55_000;
/** The developer's standalone Redis lives here; a test cluster must never touch it. */
const RESERVED_PORTS: ReadonlySet<number> = new Set([6379, 6379 + CLUSTER_BUS_OFFSET]);
const MAX_ATTEMPTS = 500;

function listenOnce(port: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(null);
      else reject(error);
    });
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : null;
      server.close((closeError) => (closeError ? reject(closeError) : resolve(bound)));
    });
  });
}

/**
 * Asks the OS for a free loopback port whose cluster bus port is also free.
 * There is an unavoidable window between probing and redis-server binding;
 * the launcher covers it by retrying a node that fails to start.
 */
export async function findFreeClusterPort(exclude: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = await listenOnce(0);
    if (port === null || port >= MAX_NODE_PORT) continue;
    if (RESERVED_PORTS.has(port) || exclude.has(port)) continue;
    const busPort = port + CLUSTER_BUS_OFFSET;
    if (RESERVED_PORTS.has(busPort) || exclude.has(busPort)) continue;
    if ((await listenOnce(busPort)) === null) continue;
    return port;
  }
  throw new RedisClusterError(
    `Could not find a free loopback port below ${MAX_NODE_PORT} with a free bus port after ${MAX_ATTEMPTS} attempts`,
  );
}
