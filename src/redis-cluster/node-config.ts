export interface RedisNodeConfigOptions {
  port: number;
  dir: string;
  maxmemoryBytes?: number;
  maxmemoryPolicy?: string;
  /** Raw `directive value` pairs appended last, so they override the defaults. */
  extraConfig?: Record<string, string>;
}

function quote(value: string): string {
  return value === '' || /[\s"]/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;
}

/** Renders the redis.conf of one cluster node. */
export function renderRedisNodeConfig(options: RedisNodeConfigOptions): string {
  const directives: Array<[string, string]> = [
    ['port', String(options.port)],
    ['bind', '127.0.0.1'],
    ['protected-mode', 'no'],
    ['daemonize', 'no'],
    // Absolute dir: nodes.conf must be found again by restartNode regardless of cwd.
    ['dir', options.dir],
    ['cluster-enabled', 'yes'],
    ['cluster-config-file', 'nodes.conf'],
    // Failure detection takes ~node-timeout, so 2 s keeps failover tests short.
    ['cluster-node-timeout', '2000'],
    // 0 = a replica may always stand for election, however stale it is; with
    // short timeouts and SIGSTOP tests the default factor can leave no eligible replica.
    ['cluster-replica-validity-factor', '0'],
    // Test data is disposable: no persistence, so kills and restarts are cheap.
    ['appendonly', 'no'],
    ['save', ''],
    // The default 5 s diskless delay would dominate cluster start and every resync.
    ['repl-diskless-sync', 'yes'],
    ['repl-diskless-sync-delay', '0'],
    // The cache counts L2 evictions/expirations from keyspace notifications.
    ['notify-keyspace-events', 'Exe'],
    // Lets fault tests use DEBUG SLEEP etc.; the node only listens on loopback anyway.
    ['enable-debug-command', 'local'],
  ];
  if (options.maxmemoryBytes !== undefined) directives.push(['maxmemory', String(options.maxmemoryBytes)]);
  if (options.maxmemoryPolicy !== undefined) directives.push(['maxmemory-policy', options.maxmemoryPolicy]);
  for (const [key, value] of Object.entries(options.extraConfig ?? {})) directives.push([key, value]);
  return `${directives.map(([key, value]) => `${key} ${quote(value)}`).join('\n')}\n`;
}
