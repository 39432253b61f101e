/**
 * The reference of `npm run bench`: a standalone Hono app on @hono/node-server, in its own
 * process, with one route answering the same JSON bytes as an L1 hit of product 42 through
 * `c.body` with `content-type` only. Nothing else in it: no middleware, no logging, no metrics.
 * Environment: PORT, BENCH_BARE_BODY_FILE (the bytes), BENCH_BARE_HEADERS_FILE (optional: a JSON
 * object of headers to send instead, for the second reference that answers with the L1 hit's
 * own headers). Prints `READY <port>`; exits on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const body = readFileSync(process.env.BENCH_BARE_BODY_FILE ?? '', 'utf8');
const headersFile = process.env.BENCH_BARE_HEADERS_FILE;
const headers: Record<string, string> = headersFile
  ? (JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string>)
  : { 'content-type': 'application/json; charset=utf-8' };
const app = new Hono();
app.get('/api/products/:id', (c) => c.body(body, 200, headers));

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) =>
  process.stdout.write(`READY ${(info as AddressInfo).port}\n`),
);
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
