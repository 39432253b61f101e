import { Redis } from 'ioredis';
import { type NodeConnection, parseInfo } from './node-client.ts';

export type NodeAuth = NodeConnection;

export type SeedState =
  | 'cluster'
  | 'standalone'
  | 'refused'
  | 'timeout'
  | 'unknown-host'
  | 'auth-required'
  | 'auth-rejected'
  | 'failed';

export interface SeedProbe {
  /** host:port as configured. */
  seed: string;
  state: SeedState;
  /** An error code or Redis error word (never a configured value). */
  detail?: string;
}

function classify(error: unknown): { state: SeedState; detail?: string } {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED') return { state: 'refused', detail: code };
  if (code === 'ETIMEDOUT' || /ETIMEDOUT|timed? ?out/i.test(message)) return { state: 'timeout' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { state: 'unknown-host', detail: code };
  if (/^NOAUTH/.test(message)) return { state: 'auth-required', detail: 'NOAUTH' };
  if (/^WRONGPASS|invalid (username|password)/i.test(message)) return { state: 'auth-rejected', detail: 'WRONGPASS' };
  const word = /^[A-Z][A-Z_]+/.exec(message)?.[0];
  return { state: 'failed', detail: code ?? word ?? 'connection closed' };
}

/**
 * Asks one seed what it is, over a one-off connection with the service's credentials and TLS:
 * a cluster node, a standalone Redis, or why it could not tell (refused, timed out, auth).
 */
export async function probeSeed(
  seed: { host: string; port: number },
  auth: NodeAuth,
  timeoutMs: number,
): Promise<SeedProbe> {
  const name = `${seed.host}:${seed.port}`;
  const client = new Redis({
    host: seed.host,
    port: seed.port,
    ...(auth.username ? { username: auth.username } : {}),
    ...(auth.password ? { password: auth.password } : {}),
    ...(auth.tls ? { tls: auth.tls } : {}),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    retryStrategy: () => null,
  });
  let lastError: unknown;
  client.on('error', (error: unknown) => (lastError = error));
  try {
    await client.connect();
    const info = parseInfo(await client.info('cluster'));
    return { seed: name, state: info.get('cluster_enabled') === '1' ? 'cluster' : 'standalone' };
  } catch (error) {
    // ioredis reports an AUTH failure as a closed connection; the error event has the reason.
    const reason = lastError !== undefined && /closed/i.test(String(error)) ? lastError : error;
    return { seed: name, ...classify(reason) };
  } finally {
    client.disconnect();
  }
}

export function probeSeeds(
  seeds: readonly { host: string; port: number }[],
  auth: NodeAuth,
  timeoutMs: number,
): Promise<SeedProbe[]> {
  return Promise.all(seeds.map((seed) => probeSeed(seed, auth, timeoutMs)));
}
