import type { L2ErrorKind } from './types.ts';

/** A Redis call that did not succeed, classified so it can be counted and decided on. */
export class L2Error extends Error {
  constructor(
    readonly operation: string,
    readonly kind: L2ErrorKind,
    cause: unknown,
  ) {
    super(`L2 ${operation} failed (${kind}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'L2Error';
  }
}

/** The circuit is open: Redis was not called at all. */
export class L2UnavailableError extends Error {
  constructor(readonly operation: string) {
    super(`L2 ${operation} skipped: circuit open`);
    this.name = 'L2UnavailableError';
  }
}

/** The loader (the source of truth) failed and no stale value could stand in. */
export class LoaderError extends Error {
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super(`loading ${key} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'LoaderError';
  }
}

/** The loader did not answer within the prefix's hard timeout and no stale value could stand in. */
export class LoaderTimeoutError extends LoaderError {
  constructor(
    key: string,
    readonly ms: number,
  ) {
    super(key, new Error(`no value within the hard timeout of ${ms} ms`));
    this.name = 'LoaderTimeoutError';
  }
}

export class TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export function classifyRedisError(error: unknown): L2ErrorKind {
  if (error instanceof TimeoutError) return 'timeout';
  const message = error instanceof Error ? error.message : String(error);
  if (/timed? ?out/i.test(message)) return 'timeout';
  if (
    /ECONNREFUSED|ECONNRESET|EPIPE|closed|not ready|isn't ready|writeable|CLUSTERDOWN|All.*failed|MaxRetriesPerRequest|Failed to refresh|TRYAGAIN|None of startup nodes/i.test(
      message,
    )
  ) {
    return 'connection';
  }
  return 'other';
}
