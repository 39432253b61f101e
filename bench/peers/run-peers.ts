import type { RedisClusterHandle } from '../../src/redis-cluster/index.ts';

/** Section 3: peers (filled in by the next commit). */
export async function runPeers(_opts: { cluster: RedisClusterHandle; quick: boolean }) {
  return { targets: [] as string[], rows: [] as string[] };
}
