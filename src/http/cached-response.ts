import type { Context } from 'hono';
import type { CachedRead } from '../shop/catalog-service.ts';
import { cacheStatus } from './cache-status.ts';
import { problem, problemResponse } from './problem.ts';

/** Whether If-None-Match names this ETag (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/**
 * Writes a cached snapshot as the response: bytes as they were serialized at load time, its
 * ETag (304 when the client has it), Cache-Control for the route and Cache-Status for the tiers.
 */
function sendCached(c: Context, read: CachedRead, cacheControl: string, notFoundDetail: string): Response {
  const status = cacheStatus(read);
  const snapshot = read.value;
  if (snapshot === null)
    return problemResponse(c, problem(404, 'not-found', 'Not found', notFoundDetail), { 'cache-status': status });
  const headers = { etag: snapshot.etag, 'cache-control': cacheControl, 'cache-status': status };
  if (etagMatches(c.req.header('if-none-match'), snapshot.etag)) return c.body(null, 304, headers);
  return c.body(snapshot.json, 200, { ...headers, 'content-type': 'application/json; charset=utf-8' });
}

/** Answers synchronously when the read was an L1 hit (no promise to wait for), asynchronously otherwise. */
export function sendRead(
  c: Context,
  read: CachedRead | Promise<CachedRead>,
  cacheControl: string,
  notFoundDetail: string,
): Response | Promise<Response> {
  if (read instanceof Promise) return read.then((r) => sendCached(c, r, cacheControl, notFoundDetail));
  return sendCached(c, read, cacheControl, notFoundDetail);
}
