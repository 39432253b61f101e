export interface RedisNodeConfigOptions {
  port: number;
  dir: string;
  maxmemoryBytes?: number;
  maxmemoryPolicy?: string;
  security?: NodeSecurity | undefined;
  /** Raw `directive value` pairs appended last, so they override the defaults. */
  extraConfig?: Record<string, string>;
}

/** Password, ACL users and TLS of a launched node (tests of managed-Redis set-ups). */
export interface NodeSecurity {
  /** requirepass (the `default` user) and masterauth (replicas authenticate to their master). */
  password?: string;
  /** Extra ACL users, each with every key, channel and command. */
  users?: Array<{ name: string; password: string }>;
  /** TLS on the client port, the cluster bus and replication; clients need no certificate. */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

function securityDirectives(security: NodeSecurity, port: number): Directive[] {
  const directives: Directive[] = [];
  if (security.password !== undefined)
    directives.push(['requirepass', security.password], ['masterauth', security.password]);
  for (const user of security.users ?? [])
    directives.push(['user', [user.name, 'on', `>${user.password}`, '~*', '&*', '+@all']]);
  if (security.tls) {
    directives.push(
      ['port', '0'],
      ['tls-port', String(port)],
      ['tls-cert-file', security.tls.certFile],
      ['tls-key-file', security.tls.keyFile],
      ['tls-ca-cert-file', security.tls.caFile],
      ['tls-cluster', 'yes'],
      ['tls-replication', 'yes'],
      ['tls-auth-clients', 'no'],
    );
  }
  return directives;
}

/** A directive and its value; an array is several arguments, each quoted on its own. */
type Directive = [string, string | string[]];

function quote(value: string): string {
  return value === '' || /[\s"]/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;
}

/** Renders the redis.conf of one cluster node. */
export function renderRedisNodeConfig(options: RedisNodeConfigOptions): string {
  const directives: Directive[] = [
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
  if (options.security) directives.push(...securityDirectives(options.security, options.port));
  for (const [key, value] of Object.entries(options.extraConfig ?? {})) directives.push([key, value]);
  return `${directives.map(([key, value]) => `${key} ${Array.isArray(value) ? value.map(quote).join(' ') : quote(value)}`).join('\n')}\n`;
}
