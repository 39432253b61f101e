import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export interface ClusterSeed {
  host: string;
  port: number;
  /** From a redis:// or rediss:// URL. */
  username?: string;
  password?: string;
  tls?: boolean;
}

function parseSeed(text: string): ClusterSeed | undefined {
  if (!/^rediss?:\/\//i.test(text)) {
    const parsed = hostPort.safeParse(text);
    return parsed.success ? parsed.data : undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const port = url.port === '' ? 6379 : Number(url.port);
  if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)))
    return undefined;
  const seed: ClusterSeed = { host: url.hostname.replace(/^\[|\]$/g, ''), port };
  if (url.username !== '') seed.username = decodeURIComponent(url.username);
  if (url.password !== '') seed.password = decodeURIComponent(url.password);
  if (url.protocol.toLowerCase() === 'rediss:') seed.tls = true;
  return seed;
}

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
  /**
   * `postgres://user:password@host:port/database` (or `postgresql://`; libpq query options such
   * as `sslmode` are honoured): the shop runs on PostgreSQL. Unset: SQLite at DATABASE_PATH.
   * Never logged or echoed: it carries a password.
   */
  DATABASE_URL: z
    .string()
    .optional()
    .superRefine((s, ctx) => {
      if (s === undefined) return;
      let url: URL | undefined;
      try {
        url = new URL(s);
      } catch {
        url = undefined;
      }
      if (!url || !/^postgres(ql)?:$/i.test(url.protocol) || url.hostname === '' || url.pathname.length < 2)
        ctx.addIssue({ code: 'custom', message: 'expected postgres://user:password@host:port/database' });
    }),
  /** PostgreSQL: connections the pool opens at most, per API instance. */
  DATABASE_POOL_MAX: int(1, 1_000).default(10),
  /** PostgreSQL: requests allowed to wait for a connection; one more is refused at once (503). */
  DATABASE_POOL_MAX_WAITING: int(0, 100_000).default(1_000),
  /** PostgreSQL: bound on opening a connection and on waiting for a free one (then 503). */
  DATABASE_CONNECT_TIMEOUT_MS: int(50, 60_000).default(2_000),
  /** PostgreSQL: statement_timeout (and lock_timeout) of every request's statement. */
  DATABASE_STATEMENT_TIMEOUT_MS: int(50, 600_000).default(2_000),
  /** PostgreSQL: an idle pooled connection is closed after this. */
  DATABASE_POOL_IDLE_TIMEOUT_MS: int(1_000, 3_600_000).default(10_000),
  /** Admin routes are off when unset; a set token must be long enough not to be guessed. */
  ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  /** `host:port`, `redis://[user[:password]@]host:port` or `rediss://…` (TLS) seeds, comma-separated. */
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === '') return undefined;
      const nodes: ClusterSeed[] = [];
      const parts = s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      for (const [index, part] of parts.entries()) {
        const seed = parseSeed(part);
        if (seed === undefined) {
          // The entry is not echoed: a URL may carry a password.
          ctx.addIssue({
            code: 'custom',
            message: `entry ${index + 1} is not host:port or a redis:// or rediss:// URL`,
          });
          return z.NEVER;
        }
        nodes.push(seed);
      }
      return nodes;
    }),
  /** ACL user name (Redis 6+); unset: the `default` user. */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /** A file holding the password (a mounted secret); one trailing newline is ignored. */
  REDIS_PASSWORD_FILE: z.string().min(1).optional(),
  REDIS_TLS: bool.default(false),
  /** PEM file of the CA that signed the nodes' certificates; unset: the system's CAs. */
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  /** `announced=reachable,…` (each host:port): where to reach nodes that announce addresses this host cannot reach. */
  REDIS_NAT_MAP: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === '') return undefined;
      const map: Record<string, { host: string; port: number }> = {};
      for (const [index, pair] of s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
        .entries()) {
        const [from, to, extra] = pair.split('=');
        const announced = hostPort.safeParse(from?.trim());
        const reachable = hostPort.safeParse(to?.trim());
        if (extra !== undefined || !announced.success || !reachable.success) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${index + 1} is not announced-host:port=reachable-host:port`,
          });
          return z.NEVER;
        }
        map[`${announced.data.host}:${announced.data.port}`] = reachable.data;
      }
      return map;
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
  /**
   * V8 collects when the heap has grown by this percentage past what the last full collection kept
   * (src/startup/heap-growth.ts); 0 leaves V8's own factor (up to 4x under churn).
   */
  HEAP_GROWING_PERCENT: int(0, 1_000).default(50),
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
  /**
   * A Prometheus that scrapes every instance: the console can then show the whole fleet, running
   * the dashboards' own PromQL. http(s) only, no credentials in the URL (they would reach logs).
   */
  PROMETHEUS_URL: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      let url: URL;
      try {
        url = new URL(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not a URL' });
        return z.NEVER;
      }
      if (
        !/^https?:$/.test(url.protocol) ||
        url.username !== '' ||
        url.password !== '' ||
        url.search !== '' ||
        url.hash !== ''
      ) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected http(s)://host[:port][/path], without credentials or query',
        });
        return z.NEVER;
      }
      return url.href.replace(/\/+$/, '');
    }),
  /** The scrape job of this service's instances in that Prometheus (the fleet the console shows). */
  PROMETHEUS_JOB: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected a job name (letters, digits, _ . : -)')
    .default('flower-shop-api'),
  /** Each fleet query must answer within this (Prometheus is told too, and gives up as well). */
  PROMETHEUS_TIMEOUT_MS: int(100, 30_000).default(3_000),
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
  if (c.REDIS_PASSWORD !== undefined && c.REDIS_PASSWORD_FILE !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_PASSWORD_FILE'],
      message: 'set REDIS_PASSWORD or REDIS_PASSWORD_FILE, not both',
    });
  const credentials = new Set((c.REDIS_CLUSTER_NODES ?? []).map((n) => `${n.username ?? ''}\n${n.password ?? ''}`));
  if (credentials.size > 1)
    ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'the URLs carry different credentials' });
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
