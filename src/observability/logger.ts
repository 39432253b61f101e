import { type DestinationStream, type Logger, pino } from 'pino';
import { bufferedStdout } from './log-stream.ts';

export type { Logger };

/**
 * Log lines are buffered in memory and written to stdout asynchronously in 64 KiB chunks
 * (log-stream.ts), never a synchronous write per line; the buffer is bounded. `flushLogs`
 * resolves once every line is out (main.ts awaits it before exiting), and on any exit what is
 * still buffered is written synchronously, so a line logged before SIGTERM is not lost.
 *
 * Structured JSON; the admin token and cookies never reach them.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: SERVICE },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.authorization', 'token', 'adminToken'],
      censor: '[redacted]',
    },
    formatters: { level: (label) => ({ level: label }) },
  };
  const stream = destination ?? bufferedStdout();
  const logger = pino(options, stream);
  streams.set(logger, stream);
  return logger;
}

/** Resolves once every line logged so far is written, or after `withinMs` (a destination that stopped reading). */
export function flushLogs(logger: Logger, withinMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, withinMs);
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The stream each logger made here writes to, so the access log shares its buffer and order. */
const streams = new WeakMap<Logger, DestinationStream>();

const SERVICE = 'flower-shop-api';

export interface AccessLogEntry {
  method: string;
  route: string;
  status: number;
  durationMs: number;
  traceId: string | undefined;
  spanId: string | undefined;
  /** Well-formed by construction (`A-Za-z0-9._:-`, see request-id.ts): written without escaping. */
  requestId: string | undefined;
}

/**
 * The access log: one line per request at info, the same JSON shape a pino `info` call writes
 * (level, time, service, fields, msg) and into the logger's own buffered stream, but formatted
 * here. Its fields are a fixed set whose values are known to be safe (a route template, a
 * number, hex ids, a method escaped by JSON.stringify), so pino's generic serialization and
 * redaction, a few microseconds per line, would buy nothing.
 */
export class AccessLog {
  private readonly stream: DestinationStream | undefined;
  private lastMs = 0;
  private lastIso = '';
  /** Whether info is on, kept from pino's level-change event rather than asked per request. */
  private on: boolean;

  constructor(private readonly logger: Logger) {
    this.stream = streams.get(logger);
    this.on = logger.isLevelEnabled('info');
    logger.on('level-change', () => {
      this.on = logger.isLevelEnabled('info');
    });
  }

  get enabled(): boolean {
    return this.on;
  }

  write(e: AccessLogEntry): void {
    const ms = Date.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    if (this.stream === undefined) {
      // A logger built elsewhere: the same line through pino.
      const trace = e.traceId === undefined ? {} : { trace_id: e.traceId, span_id: e.spanId };
      this.logger.info(
        {
          method: e.method,
          route: e.route,
          status: e.status,
          durationMs: e.durationMs,
          requestId: e.requestId,
          ...trace,
        },
        'request',
      );
      return;
    }
    const method = isPlainToken(e.method) ? e.method : JSON.stringify(e.method).slice(1, -1);
    const trace = e.traceId === undefined ? '' : `,"trace_id":"${e.traceId}","span_id":"${e.spanId}"`;
    const request = e.requestId === undefined ? '' : `,"requestId":"${e.requestId}"`;
    this.stream.write(
      `{"level":"info","time":"${this.lastIso}","service":"${SERVICE}","method":"${method}","route":${JSON.stringify(e.route)},"status":${e.status},"durationMs":${e.durationMs}${request}${trace},"msg":"request"}\n`,
    );
  }
}

/** A method made of letters only needs no escaping (every real one). */
function isPlainToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) return false;
  }
  return s.length > 0 && s.length <= 32;
}
