import type { Context } from 'hono';
import type { CachedRead } from '../shop/catalog-service.ts';
import { cacheStatus } from './cache-status.ts';
import { incomingHeader } from './incoming-header.ts';
import { requestIdOf } from './middleware/request-id.ts';
import { SECURITY_HEADERS, securedAnswerHeaders } from './middleware/security-headers.ts';
import { problem, problemResponse } from './problem.ts';

/** Whether If-None-Match names this ETag (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Writes a cached snapshot as the response: bytes as they were serialized at load time, its
 * ETag (304 when the client has it), Cache-Control for the route and Cache-Status for the tiers.
 *
 * The Response is built with a plain header object, not through `c.body()` (which turns more
 * than one header into a WHATWG Headers object): @hono/node-server recognises a Response made
 * from a string body and a plain object and hands both straight to `writeHead`/`end`, while a
 * Headers object is converted entry by entry (sorted, ByteString-checked) on every request.
 */
export class CachedResponder {
  private readonly ok = new Map<string, Readonly<Record<string, string>>>();
  private readonly notModified = new Map<string, Readonly<Record<string, string>>>();

  /** `staticHeaders`: headers every cached answer carries (security headers), merged once here. */
  private readonly hasStatic: boolean;
  /** Exactly SECURITY_HEADERS: built as one literal (securedAnswerHeaders), not spread per request. */
  private readonly secured: boolean;

  constructor(private readonly staticHeaders: Readonly<Record<string, string>> = {}) {
    this.hasStatic = Object.keys(staticHeaders).length > 0;
    this.secured = staticHeaders === SECURITY_HEADERS;
  }

  /** Answers synchronously when the read was an L1 hit (no promise to wait for), asynchronously otherwise. */
  send(
    c: Context,
    read: CachedRead | Promise<CachedRead>,
    cacheControl: string,
    notFoundDetail: string,
    extra?: Readonly<Record<string, string>>,
  ): Response | Promise<Response> {
    if (read instanceof Promise)
      return read.then((r) => this.answer(c, r, cacheControl, notFoundDetail, undefined, extra));
    return this.answer(c, read, cacheControl, notFoundDetail, undefined, extra);
  }

  /**
   * One item (`product 42`): as send, with the 404 detail `<subject> <id> not found` built only
   * when there is a 404 to write, not on every hit.
   */
  sendItem(
    c: Context,
    read: CachedRead | Promise<CachedRead>,
    cacheControl: string,
    subject: string,
    id: string | number,
  ): Response | Promise<Response> {
    if (read instanceof Promise) return read.then((r) => this.answer(c, r, cacheControl, subject, id, undefined));
    return this.answer(c, read, cacheControl, subject, id, undefined);
  }

  private answer(
    c: Context,
    read: CachedRead,
    cacheControl: string,
    /** The 404 detail, or with `id` its subject. */
    notFound: string,
    id: string | number | undefined,
    extra: Readonly<Record<string, string>> | undefined,
  ): Response {
    const status = cacheStatus(read);
    const snapshot = read.value;
    if (snapshot === null) {
      const detail = id === undefined ? notFound : `${notFound} ${id} not found`;
      return problemResponse(c, problem(404, 'not-found', 'Not found', detail), { 'cache-status': status });
    }
    const requestId = requestIdOf(c);
    if (etagMatches(incomingHeader(c, 'if-none-match'), snapshot.etag)) {
      if (this.secured)
        return new Response(null, {
          status: 304,
          headers: securedAnswerHeaders(undefined, cacheControl, snapshot.etag, status, requestId),
        });
      const headers: Record<string, string> = {
        ...this.base(this.notModified, cacheControl, false),
        etag: snapshot.etag,
        'cache-status': status,
        'x-request-id': requestId,
      };
      return new Response(null, { status: 304, headers });
    }
    // The common case as one object literal (a fixed shape, no spread); static headers need the spread.
    const headers: Record<string, string> = this.secured
      ? securedAnswerHeaders(JSON_TYPE, cacheControl, snapshot.etag, status, requestId)
      : this.hasStatic
        ? {
            ...this.base(this.ok, cacheControl, true),
            etag: snapshot.etag,
            'cache-status': status,
            'x-request-id': requestId,
          }
        : {
            'content-type': JSON_TYPE,
            'cache-control': cacheControl,
            etag: snapshot.etag,
            'cache-status': status,
            'x-request-id': requestId,
          };
    if (extra !== undefined) Object.assign(headers, extra);
    return new Response(snapshot.json, { status: 200, headers });
  }

  /** The headers that depend on the route only, built once per Cache-Control value (a handful). */
  private base(
    built: Map<string, Readonly<Record<string, string>>>,
    cacheControl: string,
    withBody: boolean,
  ): Readonly<Record<string, string>> {
    let headers = built.get(cacheControl);
    if (headers === undefined) {
      headers = {
        ...this.staticHeaders,
        ...(withBody ? { 'content-type': JSON_TYPE } : {}),
        'cache-control': cacheControl,
      };
      built.set(cacheControl, headers);
    }
    return headers;
  }
}
