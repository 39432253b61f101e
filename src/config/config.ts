import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.\-_]+:\d{1,5}$/, 'expected host:port')
  .transform((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  })
  .refine((n) => n.port > 0 && n.port < 65536, 'port out of range');

/**
 * Every setting the service reads, from the environment. Names are part of the contract with
 * operators and compose files; defaults run the service on one machine with nothing set.
 */
const schema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_PATH: z.string().min(1).default('.data/shop.db'),
  /**
   * How long a statement waits for another process's SQLite lock. better-sqlite3 is synchronous,
   * so the whole process (every request, L1 hits included) stalls for up to this long.
   */
  /** better-sqlite3 waits synchronously: a lock held elsewhere stalls this whole process for up to this long. */
  DATABASE_BUSY_TIMEOUT_MS: int(0, 60_000).default(1_000),
  /** Admin routes are off when unset; a set token must be long enough not to be guessed. */
  ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === '') return undefined;
      const nodes = [];
      for (const part of s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const parsed = hostPort.safeParse(part);
        if (!parsed.success) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not host:port` });
          return z.NEVER;
        }
        nodes.push(parsed.data);
      }
      return nodes;
    }),
  /** `npm start` launches a local cluster when REDIS_CLUSTER_NODES is unset; `none` runs on L1 alone. */
  REDIS_MODE: z.enum(['auto', 'none']).default('auto'),
  /** Where the local cluster every `npm start` on this machine shares is recorded (state file, lock, node dirs). */
  REDIS_LOCAL_CLUSTER_DIR: z.string().min(1).default('.data/redis-cluster'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEED_PRODUCTS: int(0, 1_000_000).default(5_000),
  CACHE_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/)
    .default('shop'),
  CACHE_L1_MAX_ENTRIES: int(1, 10_000_000).default(50_000),
  CACHE_L1_MAX_BYTES: int(1024, 8 * 1024 ** 3).default(64 * 1024 * 1024),
  CACHE_L1_ENABLED: bool.default(true),
  /** `tinylfu`: each prefix's own admission policy (W-TinyLFU by default); `lru`: plain LRU for every prefix. */
  CACHE_L1_ADMISSION: z.enum(['tinylfu', 'lru']).default('tinylfu'),
  /** `false` ignores the per-prefix byte shares of L1. */
  CACHE_L1_PREFIX_BUDGETS: bool.default(true),
  CACHE_L2_TIMEOUT_MS: int(1, 60_000).default(100),
  CACHE_L2_BREAKER_FAILURES: int(1, 1_000).default(5),
  CACHE_L2_BREAKER_OPEN_MS: int(10, 600_000).default(1_000),
  CACHE_LOCK_TTL_MS: int(10, 60_000).default(2_000),
  CACHE_LOCK_WAIT_MS: int(0, 60_000).default(1_000),
  CACHE_BUS_HEARTBEAT_MS: int(50, 60_000).default(1_000),
  CACHE_L2_KEYSPACE_EVENTS: bool.default(true),
  /** Seconds multiplier applied to every prefix's fresh time, for tests and for tuning. */
  CACHE_TTL_SCALE: z.coerce.number().positive().max(1000).default(1),
  /** Separate port for /metrics; 0 serves it on the API port. */
  METRICS_PORT: int(0, 65535).default(0),
  /** When set, /metrics requires `Authorization: Bearer <token>`. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** Browser origins allowed to call the API (comma-separated, exact `scheme://host[:port]`); unset: none. */
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((s, ctx) => {
      const origins = (s ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean);
      const bad = origins.filter((o) => !/^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(o));
      if (bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `not an origin (scheme://host[:port]): ${bad.join(', ')}` });
        return z.NEVER;
      }
      return origins;
    }),
  /** The live cache console at /console (history sampling, hot-key sketch); `false` to measure it off. */
  CONSOLE_ENABLED: bool.default(true),
  MAX_BODY_BYTES: int(256, 10 * 1024 * 1024).default(64 * 1024),
  /** A client must send its request headers within this (slow-header clients are cut, 408). */
  HTTP_HEADERS_TIMEOUT_MS: int(1_000, 600_000).default(10_000),
  /** A client must send its whole request, body included, within this. */
  HTTP_REQUEST_TIMEOUT_MS: int(1_000, 3_600_000).default(30_000),
  /** Idle keep-alive connections are closed after this; keep it above the proxy's upstream idle timeout. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(1_000, 600_000).default(5_000),
  /** Open connections beyond this are refused at once (each holds a file descriptor). */
  HTTP_MAX_CONNECTIONS: int(1, 1_000_000).default(10_000),
  SHUTDOWN_GRACE_MS: int(0, 120_000).default(10_000),
});

const checked = schema.superRefine((c, ctx) => {
  // Node refuses a headers timeout longer than the request timeout.
  if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS)
    ctx.addIssue({
      code: 'custom',
      path: ['HTTP_HEADERS_TIMEOUT_MS'],
      message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS',
    });
});

export type Config = z.output<typeof schema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates everything at once and lists every bad value in one error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = checked.safeParse(input);
  if (!parsed.success) {
    // Values are not echoed: one of them may be a token.
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return parsed.data;
}
