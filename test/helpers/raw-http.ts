import { connect, type Socket } from 'node:net';

export interface RawExchange {
  /** Everything the server sent. */
  text: string;
  /** How the connection ended: the server closed it (FIN), reset it, or the wait ran out. */
  ended: 'closed' | 'reset' | 'timeout';
  /** Milliseconds from connect to the end. */
  ms: number;
}

/** Opens a TCP connection to the service; resolves once connected. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Runs `send` on a fresh connection and collects what the server answers until it closes the
 * connection (or `timeoutMs` passes). `send` may write at its own pace; writes after the server
 * closed are ignored.
 */
export async function rawExchange(
  port: number,
  send: (socket: Socket) => void | Promise<void>,
  timeoutMs: number,
): Promise<RawExchange> {
  const started = performance.now();
  const socket = await openSocket(port);
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (text += chunk));
  const ended = new Promise<RawExchange['ended']>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    socket.on('error', () => {
      clearTimeout(timer);
      resolve('reset');
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
  void Promise.resolve(send(socket)).catch(() => undefined);
  const how = await ended;
  const ms = performance.now() - started;
  socket.destroy();
  return { text, ended: how, ms };
}

/** Writes `data`, resolving once the kernel took it (or the socket failed). */
export function writeAll(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.write(data, () => resolve());
  });
}

/** Header name → value of the first response in a raw HTTP/1.1 exchange (lower-cased names). */
export function firstResponseHeaders(text: string): { status: number; headers: Map<string, string> } {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}
