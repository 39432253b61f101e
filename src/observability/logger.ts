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

/**
 * The access log: one line per request at info, the same JSON shape a pino `info` call writes
 * (level, time, service, fields, msg) and into the logger's own buffered stream, but formatted
 * here. Its fields are a fixed set whose values are known to be safe (a route template, a
 * number, hex ids, a method escaped by JSON.stringify), so pino's generic serialization and
 * redaction, a few microseconds per line, would buy nothing. The part that depends on the
 * method and route only is built once per pair, and the duration is written from integer
 * microseconds (the same digits `Math.round(s * 1e6) / 1e3` prints): ~1/3 less per line.
 */
export class AccessLog {
  private readonly stream: DestinationStream | undefined;
  private lastMs = 0;
  private lastIso = '';
  /** Whether info is on, kept from pino's level-change event rather than asked per request. */
  private on: boolean;
  /** `","service":…,"method":…,"route":…,"status":` per method, then route (both fixed sets). */
  private readonly heads = new Map<string, Map<string, string>>();

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

  /**
   * `micros`: the duration in whole microseconds (logged as `durationMs` with three decimals).
   * `requestId` is well-formed by construction (`A-Za-z0-9._:-`, see request-id.ts) and written
   * without escaping; trace and span ids are hex.
   */
  write(
    method: string,
    route: string,
    status: number,
    micros: number,
    requestId: string | undefined,
    traceId: string | undefined,
    spanId: string | undefined,
  ): void {
    const now = Date.now();
    if (now !== this.lastMs) {
      this.lastMs = now;
      this.lastIso = new Date(now).toISOString();
    }
    if (this.stream === undefined) {
      // A logger built elsewhere: the same line through pino.
      const trace = traceId === undefined ? {} : { trace_id: traceId, span_id: spanId };
      this.logger.info({ method, route, status, durationMs: micros / 1e3, requestId, ...trace }, 'request');
      return;
    }
    const ms = Math.floor(micros / 1000);
    const trace = traceId === undefined ? '' : `,"trace_id":"${traceId}","span_id":"${spanId}"`;
    const request = requestId === undefined ? '' : `,"requestId":"${requestId}"`;
    this.stream.write(
      `{"level":"info","time":"${this.lastIso}${this.head(method, route)}${status},"durationMs":${ms}${MILLI_FRACTIONS[micros - ms * 1000]}${request}${trace},"msg":"request"}\n`,
    );
  }

  private head(method: string, route: string): string {
    let byRoute = this.heads.get(method);
    if (byRoute === undefined) {
      byRoute = new Map();
      this.heads.set(method, byRoute);
    }
    let head = byRoute.get(route);
    if (head === undefined) {
      const m = isPlainToken(method) ? method : JSON.stringify(method).slice(1, -1);
      head = `","service":"${SERVICE}","method":"${m}","route":${JSON.stringify(route)},"status":`;
      byRoute.set(route, head);
    }
    return head;
  }
}

/** `.xyz` for 0–999 thousandths, trailing zeros dropped as JSON numbers print them (`.5`, `.25`), `` for 0. */
const MILLI_FRACTIONS = Array.from({ length: 1000 }, (_, r) =>
  r === 0 ? '' : `.${String(r).padStart(3, '0').replace(/0+$/, '')}`,
);

/** A method made of letters only needs no escaping (every real one). */
function isPlainToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) return false;
  }
  return s.length > 0 && s.length <= 32;
}
