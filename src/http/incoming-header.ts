import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

/**
 * A request header read from Node's IncomingMessage when the app runs on @hono/node-server,
 * instead of through `c.req.header()`: that builds a full WHATWG Headers object from every raw
 * header on first use (ByteString conversion and validation of each), a visible share of a
 * cached GET. Outside Node (app.request in tests) the standard path is taken.
 */
export function incomingHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (incoming === undefined) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
