import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { problem, problemResponse } from '../problem.ts';

/** The Node request behind a Hono context when served by @hono/node-server (absent in app.request()). */
function incomingOf(c: Context): IncomingMessage | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined;
  const incoming = env.incoming;
  return typeof incoming === 'object' && incoming !== null && 'complete' in incoming
    ? (incoming as IncomingMessage)
    : undefined;
}

/**
 * An answer given before the request body was fully received (413, 401, 403…) closes the
 * connection: the rest of the body is still on the wire, and keeping the connection would mean
 * either reading an unbounded amount of it or cutting it with a reset the client may see before
 * the answer. `Connection: close` tells the client; the server then drains what is in flight and
 * closes (src/http/server.ts, lingering close).
 */
export function closeAfterUnreadBody(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const incoming = incomingOf(c);
    if (incoming && !incoming.complete) c.res.headers.set('connection', 'close');
  };
}

/** 413 problem+json beyond `maxBytes`, by Content-Length before reading, or while reading a chunked body. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      problemResponse(
        c,
        problem(413, 'body-too-large', 'Request body too large', `Bodies are limited to ${maxBytes} bytes.`),
        { connection: 'close' },
      ),
  });
}
