import { coarseNow } from './clock.ts';
import { TimeoutError } from './errors.ts';

/**
 * `setTimeout` for a Redis reply, measuring Redis rather than this process's busy spells.
 *
 * Timers come due at the start of an event-loop turn, before the turn reads its sockets. After
 * synchronous work longer than the timeout (a burst of a thousand requests parsed in one turn,
 * as in the bench's stampede), a reply that came back in a millisecond would lose to its own
 * timer, and a lock that was taken or a write that landed would count as timed out. So `onDue`
 * runs from `setImmediate`, after the turn's poll phase has read such a reply; the caller ignores
 * `onDue` once the reply has settled.
 *
 * And a timer that fires late by more than a quarter of its time shows that the loop was busy
 * for a good part of the window, which can mean the command itself was not on the wire yet
 * (ioredis flushes an auto-pipelined command from `setImmediate`): it waits one more full window
 * before it counts, once. A Redis that is truly gone is then reported after at most twice the
 * timeout plus the loop's own delay, and on an idle loop after the timeout, as before.
 *
 * No closure of its own. Cancel with `clearTimeout` before it is due; after that, the caller's
 * own settled flag makes `onDue` a no-op.
 */
export function setTimeoutAfterIo(onDue: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(cameDue, ms, onDue, coarseNow(), ms);
}

/**
 * `armedAt` is the hit path's coarse clock (~5 ns instead of ~100 for performance.now(), on every
 * L2 call). It lags only while the loop has been busy, which makes a timer look later than it
 * is exactly when the loop was busy: the extra window is what such a call should get anyway.
 */
function cameDue(onDue: () => void, armedAt: number, ms: number): void {
  if (Date.now() - armedAt - ms > ms / 4) setTimeout(setImmediate, ms, onDue);
  else setImmediate(onDue);
}

/**
 * ioredis's commandTimeout does not cover every path (a command waiting for a cluster
 * redirect or a reconnect), so each L2 call is also raced against our own timer.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // A reply that settles first wins; the late rejection is then a no-op.
    const timer = setTimeoutAfterIo(() => reject(new TimeoutError(ms)), ms);
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
