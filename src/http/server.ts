import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';

/** Connection-level limits of one HTTP listener (README, "Edge limits"). */
export interface EdgeLimits {
  /** Time to receive a request's headers; Node answers 408 and closes past it. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are closed as soon as they are accepted. */
  maxConnections: number;
}

export interface HttpListener {
  readonly server: Server;
  readonly port: number;
  openConnections(): number;
}

/**
 * How long a connection closed after an early answer (a 413 before the body was read) keeps
 * reading what the client is still sending. Closing at once would make the kernel answer that
 * data with a reset, and a client that receives the reset before it has read the answer loses
 * the answer ("other side closed"). Clients normally close within a round trip of the answer.
 */
const LINGER_MS = 5_000;

/**
 * A half close: FIN after the answer, keep reading (and discarding) until the client closes its
 * side or LINGER_MS passes. Replaces Node's destroySoon, which the HTTP server calls to close a
 * connection after a `Connection: close` answer and which destroys the socket right after the FIN.
 */
function lingeringClose(socket: Socket): void {
  if (socket.destroyed || socket.writableEnded) return;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
  socket.end();
  socket.resume();
}

/** Node checks the headers and request timeouts on a timer; its 30 s default would let them overrun by that much. */
function checkingIntervalFor(limits: EdgeLimits): number {
  return Math.max(100, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 10)));
}

/**
 * Serves `fetch` on host:port with the edge limits applied. Resolves once listening; rejects with
 * the listen error (EADDRINUSE, EACCES…) instead of throwing it asynchronously.
 */
export function listenHttp(options: {
  fetch: Parameters<typeof createAdaptorServer>[0]['fetch'];
  port: number;
  hostname: string;
  limits: EdgeLimits;
}): Promise<HttpListener> {
  const { limits } = options;
  const server = createAdaptorServer({
    fetch: options.fetch,
    serverOptions: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: checkingIntervalFor(limits),
    },
  }) as Server;
  server.maxConnections = limits.maxConnections;
  let open = 0;
  server.on('connection', (socket: Socket) => {
    open++;
    socket.once('close', () => open--);
    socket.destroySoon = () => lingeringClose(socket);
  });
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options.port, options.hostname, () => {
      server.off('error', onError);
      const address = server.address();
      resolve({
        server,
        port: typeof address === 'object' && address !== null ? address.port : options.port,
        openConnections: () => open,
      });
    });
  });
}
