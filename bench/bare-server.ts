/**
 * The reference of `npm run bench`: a standalone Hono app on @hono/node-server, in its own
 * process, with one route answering the same JSON bytes as an L1 hit of product 42 through
 * `c.body` with `content-type` only. Nothing else in it: no middleware, no logging, no metrics.
 * Environment: PORT, BENCH_BARE_BODY_FILE (the bytes), BENCH_BARE_HEADERS_FILE (optional: a JSON
 * object of headers to send instead, for the second reference that answers with the L1 hit's
 * own headers), BENCH_BARE_RAW=1 (no Hono at all: node:http's `writeHead` with those headers,
 * prebuilt once, and the body's bytes; the third reference, which says whether the headers'
 * cost is the framework's or HTTP's own). Prints `READY <port>`; exits on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const body = readFileSync(process.env.BENCH_BARE_BODY_FILE ?? '', 'utf8');
const headersFile = process.env.BENCH_BARE_HEADERS_FILE;
const headers: Record<string, string> = headersFile
  ? (JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string>)
  : { 'content-type': 'application/json; charset=utf-8' };
const port = Number(process.env.PORT ?? 0);
const ready = (address: AddressInfo) => process.stdout.write(`READY ${address.port}\n`);

const server = process.env.BENCH_BARE_RAW === '1' ? rawServer() : honoServer();

function honoServer() {
  const app = new Hono();
  // More than one header through `c.body` becomes a WHATWG Headers object, which @hono/node-server
  // converts entry by entry on every request; a Response made from a plain object goes straight to
  // `writeHead`, as the service's cached answers do (src/http/cached-response.ts).
  app.get('/api/products/:id', (c) =>
    headersFile ? new Response(body, { status: 200, headers }) : c.body(body, 200, headers),
  );
  return serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => ready(info as AddressInfo));
}

function rawServer() {
  const bytes = Buffer.from(body);
  const head = { ...headers, 'content-length': String(bytes.length) };
  const raw = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/api/products/')) {
      res.writeHead(200, head);
      res.end(bytes);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  raw.listen(port, '127.0.0.1', () => ready(raw.address() as AddressInfo));
  return raw;
}
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
