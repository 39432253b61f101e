import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Config } from './config.ts';
import { StartupError } from './startup-error.ts';

/** How the service reaches its Redis Cluster: credentials, TLS and address translation. */
export interface RedisConnection {
  username?: string;
  password?: string;
  tls?: ConnectionOptions;
  natMap?: Record<string, { host: string; port: number }>;
}

function readSecretFile(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'error';
    throw new StartupError('config', `${variable}: cannot read ${path} (${code}); mount the file or fix the path`);
  }
}

/**
 * Gathers the connection settings from the variables and the seed URLs: REDIS_USERNAME and
 * REDIS_PASSWORD(_FILE) win over credentials in the URLs; a `rediss://` seed or REDIS_TLS turns
 * TLS on. Reads the password and CA files (failing with the variable and path, never the content).
 */
export function redisConnectionFrom(config: Config): RedisConnection {
  const fromUrl = config.REDIS_CLUSTER_NODES?.find((n) => n.username !== undefined || n.password !== undefined);
  const username = config.REDIS_USERNAME ?? fromUrl?.username;
  const password =
    config.REDIS_PASSWORD ??
    (config.REDIS_PASSWORD_FILE !== undefined
      ? readSecretFile('REDIS_PASSWORD_FILE', config.REDIS_PASSWORD_FILE)
          .toString('utf8')
          .replace(/\r?\n$/, '')
      : fromUrl?.password);
  const tlsOn = config.REDIS_TLS || (config.REDIS_CLUSTER_NODES ?? []).some((n) => n.tls === true);
  const connection: RedisConnection = {};
  if (username !== undefined) connection.username = username;
  if (password !== undefined && password !== '') connection.password = password;
  if (tlsOn)
    connection.tls =
      config.REDIS_TLS_CA_FILE !== undefined
        ? { ca: readSecretFile('REDIS_TLS_CA_FILE', config.REDIS_TLS_CA_FILE) }
        : {};
  if (config.REDIS_NAT_MAP) connection.natMap = config.REDIS_NAT_MAP;
  return connection;
}
