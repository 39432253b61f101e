import type { Context, MiddlewareHandler } from 'hono';
// For its ContextVariableMap declaration: `c.var.requestId` is a string everywhere.
import type {} from 'hono/request-id';
import { incomingHeader } from '../incoming-header.ts';
import { carryRequestId } from './observe-requests.ts';

/** 1 to 128 of `A-Z a-z 0-9 - _ . :`: enough for UUIDs, ULIDs and trace ids, nothing that reshapes a log line. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * `X-Request-Id` on every response and in the request's log line (`c.var.requestId`): the
 * client's own when well-formed, a random UUID otherwise. Set before the handler runs, so error
 * and 404 answers carry it too.
 */
export function requestIds(): MiddlewareHandler {
  return async (c, next) => {
    const id = requestIdOf(c);
    c.header('x-request-id', id);
    await next();
    // Cached routes answer with a Response of their own, which the context's headers never reach.
    c.res.headers.set('x-request-id', id);
  };
}

/**
 * This request's id, decided once: the client's when well-formed, else a random UUID. Kept on
 * the context and carried to the access-log line. Also called by the answers that bypass the
 * app-wide middleware (cached single items, problems), so every response has one.
 */
export function requestIdOf(c: Context): string {
  const known = c.get('requestId') as string | undefined;
  if (known !== undefined) return known;
  const given = incomingHeader(c, 'x-request-id');
  const id = given !== undefined && WELL_FORMED.test(given) ? given : crypto.randomUUID();
  c.set('requestId', id);
  carryRequestId(c, id);
  return id;
}
