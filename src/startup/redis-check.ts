import { StartupError } from '../config/startup-error.ts';
import type { SeedProbe } from '../redis-cluster/probe.ts';

function describe(probe: SeedProbe, timeoutMs: number): string {
  switch (probe.state) {
    case 'refused':
      return `${probe.seed} refused the connection`;
    case 'timeout':
      return `${probe.seed} timed out after ${timeoutMs} ms`;
    case 'unknown-host':
      return `${probe.seed} is not a known host (${probe.detail})`;
    default:
      return `${probe.seed} failed (${probe.detail ?? probe.state})`;
  }
}

/**
 * Turns what the seeds answered into a verdict. A cluster node answering is enough. Answers that
 * will not heal by waiting (a standalone Redis, refused credentials) stop the start; unreachable
 * nodes do not: the service serves from SQLite and L1 and picks the cluster up when it appears.
 * Returns the warning to log in that case.
 */
export function assessRedisSeeds(probes: readonly SeedProbe[], timeoutMs: number): string | undefined {
  if (probes.some((p) => p.state === 'cluster')) return undefined;
  const seeds = (state: SeedProbe['state']) =>
    probes
      .filter((p) => p.state === state)
      .map((p) => p.seed)
      .join(', ');
  if (probes.some((p) => p.state === 'auth-rejected'))
    throw new StartupError(
      'redis',
      `REDIS_USERNAME/REDIS_PASSWORD: ${seeds('auth-rejected')} rejected the credentials (WRONGPASS); ` +
        'check REDIS_USERNAME and REDIS_PASSWORD (or REDIS_PASSWORD_FILE)',
    );
  if (probes.some((p) => p.state === 'auth-required'))
    throw new StartupError(
      'redis',
      `REDIS_PASSWORD: ${seeds('auth-required')} requires authentication (NOAUTH); ` +
        'set REDIS_PASSWORD or REDIS_PASSWORD_FILE (and REDIS_USERNAME for an ACL user)',
    );
  if (probes.some((p) => p.state === 'standalone'))
    throw new StartupError(
      'redis',
      `REDIS_CLUSTER_NODES: ${seeds('standalone')} is a standalone Redis (cluster_enabled:0), not a Redis Cluster; ` +
        'point REDIS_CLUSTER_NODES at the nodes of a cluster, or unset it to launch a local one',
    );
  return (
    `REDIS_CLUSTER_NODES: no node reachable (${probes.map((p) => describe(p, timeoutMs)).join('; ')}); ` +
    'serving from SQLite and L1 and retrying in the background; check the addresses, that Redis is running, and REDIS_TLS'
  );
}
