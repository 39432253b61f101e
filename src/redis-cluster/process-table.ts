import { readFileSync } from 'node:fs';

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EPERM';
  }
}

/**
 * Whether `pid` is a redis-server, so a pid recorded long ago (and reused since by something
 * else) is never killed. Without /proc, a live pid is taken at its word.
 */
export function isRedisServer(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
  } catch {
    return process.platform !== 'linux';
  }
}

/** SIGKILLs each pid that is a redis-server and waits (bounded) until they are gone. */
export async function killRedisServers(pids: readonly number[], timeoutMs = 5_000): Promise<number[]> {
  const killed = pids.filter(isRedisServer);
  for (const pid of killed) process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + timeoutMs;
  while (killed.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return killed;
}
