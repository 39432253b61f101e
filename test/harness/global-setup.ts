import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startRedisCluster } from '../../src/redis-cluster/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisClusterNodes: string;
  }
}

/**
 * One shared cluster for the whole run: starting a cluster costs ~2 s, too
 * much per test file. Setting REDIS_CLUSTER_NODES points tests at an existing
 * cluster instead (e.g. one from scripts/start-redis-cluster.ts).
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  // Tests spawn the compiled service, as `npm start` runs it: build first (incremental tsc and the console bundle).
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const external = process.env['REDIS_CLUSTER_NODES'];
  if (external !== undefined && external !== '') {
    project.provide('redisClusterNodes', external);
    return undefined;
  }
  const cluster = await startRedisCluster();
  project.provide('redisClusterNodes', cluster.seedString);
  return async () => {
    await cluster.stop();
  };
}
