import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, RedisClusterTimeoutError } from './errors.ts';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
}

/**
 * Polls `check` until it returns true. `check` may return a string to explain
 * why it is not done yet, and may throw (e.g. connection refused while a node
 * boots); both become the "last observation" in the timeout error so a hung
 * wait says what it was looking at.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<true | string>,
  { timeoutMs, intervalMs = 100 }: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem: string | undefined;
  for (;;) {
    try {
      const result = await check();
      if (result === true) return;
      lastProblem = result;
    } catch (error) {
      lastProblem = describeError(error);
    }
    if (Date.now() >= deadline) throw new RedisClusterTimeoutError(what, timeoutMs, lastProblem);
    await sleep(intervalMs);
  }
}
