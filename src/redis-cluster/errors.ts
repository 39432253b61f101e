/**
 * Typed failures of the Redis Cluster launcher, so callers (test harness, CLI)
 * can tell "the machine lacks Redis" apart from "the cluster misbehaved".
 */

export class RedisClusterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export const REDIS_INSTALL_COMMAND = 'apt-get install -y redis-server';

export class RedisServerMissingError extends RedisClusterError {
  readonly missing: readonly string[];

  constructor(missing: readonly string[]) {
    super(
      `${missing.join(' and ')} not found on PATH. Install it with: ${REDIS_INSTALL_COMMAND} ` +
        '(the Debian package redis-server pulls in redis-tools, which provides redis-cli)',
    );
    this.missing = missing;
  }
}

export class RedisClusterTimeoutError extends RedisClusterError {
  constructor(what: string, timeoutMs: number, lastProblem?: string) {
    super(
      `Timed out after ${timeoutMs} ms waiting for ${what}` +
        (lastProblem === undefined ? '' : ` (last observation: ${lastProblem})`),
    );
  }
}

export class RedisNodeExitedError extends RedisClusterError {
  readonly port: number;
  readonly logTail: string;

  constructor(port: number, exitDescription: string, logTail: string) {
    super(`redis-server on port ${port} exited during startup (${exitDescription}). Log tail:\n${logTail}`);
    this.port = port;
    this.logTail = logTail;
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
