/**
 * Starts a throwaway Redis Cluster for running API instances by hand:
 *   node --import tsx scripts/start-redis-cluster.ts [--masters N] [--replicas N]
 * Prints REDIS_CLUSTER_NODES=... and keeps the cluster up until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startRedisCluster } from '../src/redis-cluster/index.ts';

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer, got ${text}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      masters: { type: 'string' },
      replicas: { type: 'string' },
      'base-dir': { type: 'string' },
    },
  });
  const cluster = await startRedisCluster({
    masters: positiveInt('masters', values.masters, 3),
    replicasPerMaster: positiveInt('replicas', values.replicas, 1),
    ...(values['base-dir'] === undefined ? {} : { baseDir: values['base-dir'] }),
    log: (msg) => process.stderr.write(`${msg}\n`),
  });
  // stdout carries only the assignment so `eval "$(... | head -1)"`-style use works.
  process.stdout.write(`REDIS_CLUSTER_NODES=${cluster.seedString}\n`);
  process.stderr.write('Cluster is up; press Ctrl-C to stop it.\n');

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal} received, stopping cluster...\n`);
    cluster.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(
          `Failed to stop cluster cleanly: ${error instanceof Error ? error.stack : String(error)}\n`,
        );
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
