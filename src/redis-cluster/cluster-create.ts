import { execFile } from 'node:child_process';
import { RedisClusterError } from './errors.ts';

const CREATE_TIMEOUT_MS = 60_000;

/**
 * Assigns slots and replicas with `redis-cli --cluster create`: it is the
 * reference implementation of slot allocation and replica placement, so we do
 * not re-implement CLUSTER ADDSLOTS/MEET/REPLICATE by hand.
 */
export function createClusterWithRedisCli(
  ports: readonly number[],
  replicasPerMaster: number,
  access: { password?: string | undefined; caFile?: string | undefined } = {},
): Promise<string> {
  const args = [
    ...(access.caFile ? ['--tls', '--cacert', access.caFile] : []),
    '--cluster',
    'create',
    ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    String(replicasPerMaster),
    '--cluster-yes',
  ];
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      args,
      {
        timeout: CREATE_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        // The password goes through the environment, never the command line (visible in ps).
        env: { ...process.env, ...(access.password ? { REDISCLI_AUTH: access.password } : {}) },
      },
      (error, stdout, stderr) => {
        // redis-cli reports some failures with exit code 0, so also look for its [ERR] marker.
        if (error !== null || /\[ERR\]/.test(stdout)) {
          reject(
            new RedisClusterError(
              `redis-cli ${args.join(' ')} failed${error === null ? '' : `: ${error.message}`}\n${stdout}\n${stderr}`,
              { cause: error ?? undefined },
            ),
          );
          return;
        }
        resolve(stdout);
      },
    );
  });
}
