import { TimeoutError } from './errors.ts';

/**
 * ioredis's commandTimeout does not cover every path (a command waiting for a cluster
 * redirect or a reconnect), so each L2 call is also raced against our own timer.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
