import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import { RedisClusterError } from './errors.ts';

const DEFAULT_TIMEOUT_MS = 2_000;

/** How to reach a node that requires a password, an ACL user or TLS. */
export interface NodeConnection {
  username?: string | undefined;
  password?: string | undefined;
  tls?: ConnectionOptions | undefined;
}

/**
 * Runs `fn` against one node over a short-lived standalone connection.
 * No retries and a command timeout: a dead or SIGSTOPped node must fail fast
 * so polling loops can move on instead of hanging in ioredis' reconnect logic.
 */
export async function withNodeClient<T>(
  address: number | { host: string; port: number },
  fn: (client: Redis) => Promise<T>,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  connection: NodeConnection = {},
): Promise<T> {
  const { host, port } = typeof address === 'number' ? { host: '127.0.0.1', port: address } : address;
  const client = new Redis({
    host,
    port,
    ...(connection.username ? { username: connection.username } : {}),
    ...(connection.password ? { password: connection.password } : {}),
    ...(connection.tls ? { tls: connection.tls } : {}),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Errors are reported through the rejected connect()/command promises below;
  // the listener only stops ioredis from printing "Unhandled error event".
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } catch (error) {
    throw new RedisClusterError(
      `Redis node ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    client.disconnect();
  }
}

/** Parses the `key:value` line format of INFO and CLUSTER INFO. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const separator = line.indexOf(':');
    if (separator <= 0 || line.startsWith('#')) continue;
    fields.set(line.slice(0, separator), line.slice(separator + 1).trim());
  }
  return fields;
}

/** CLUSTER NODES as text; ioredis types the reply as unknown. */
export async function readClusterNodes(client: Redis): Promise<string> {
  const reply: unknown = await client.cluster('NODES');
  if (typeof reply !== 'string')
    throw new RedisClusterError(`Unexpected CLUSTER NODES reply: ${JSON.stringify(reply)}`);
  return reply;
}
