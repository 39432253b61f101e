import { createHash } from 'node:crypto';

/**
 * A value as it is sent: serialized once when loaded, so a cache hit writes bytes without
 * running JSON.stringify again, and its ETag is computed once too.
 */
export interface Snapshot {
  readonly json: string;
  readonly etag: string;
}

export function snapshot(value: unknown): Snapshot {
  const json = JSON.stringify(value);
  return { json, etag: etagOf(json) };
}

export function etagOf(json: string): string {
  return `"${createHash('sha1').update(json).digest('base64url')}"`;
}
