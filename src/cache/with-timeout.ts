import { performance } from 'node:perf_hooks';
import { TimeoutError } from './errors.ts';

/**
 * ioredis's commandTimeout does not cover every path (a command waiting for a cluster
 * redirect or a reconnect), so each L2 call is also raced against our own timer.
 * For rare calls; the L2 tier's own calls go through a DeadlineSweep.
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

/** What happens to a call's outcome before its caller sees it (the L2 tier's breaker and error typing). */
export interface CallOutcome {
  succeeded(): void;
  /** The error the caller gets for this failure (a TimeoutError included). */
  failed(operation: string, error: unknown): unknown;
}

interface Pending {
  deadline: number;
  settled: boolean;
  reject: (error: unknown) => void;
}

/** Queue slots kept before the sweep compacts the array (the head index only moves forward). */
const COMPACT_AT = 1_024;

/**
 * Timeouts for many calls that all share one duration, without a timer per call: a timer
 * inserted and cleared on every Redis call was a measurable share of an L2 hit. Calls wait in a
 * FIFO queue, which is therefore in deadline order; one interval (running only while calls are
 * pending) fails every call whose deadline has passed. A call fails at most one sweep period
 * (ms / 8, at most 25 ms) after its deadline, and never before it. The queue holds the calls of
 * the last timeout period at most: expired and settled calls leave it from the head.
 */
export class DeadlineSweep {
  private queue: Pending[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly periodMs: number;

  constructor(readonly ms: number) {
    this.periodMs = Math.max(1, Math.min(25, Math.floor(ms / 8)));
  }

  /**
   * The call's outcome, or a TimeoutError once `ms` have passed (the call itself goes on); each
   * passes through `outcome` first, so the caller needs no async frame of its own around it.
   */
  race<T>(promise: Promise<T>, outcome: CallOutcome, operation: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        deadline: performance.now() + this.ms,
        settled: false,
        reject: (error) => reject(outcome.failed(operation, error)),
      };
      this.queue.push(pending);
      if (this.timer === undefined) this.start();
      promise.then(
        (value) => {
          if (pending.settled) return;
          pending.settled = true;
          outcome.succeeded();
          resolve(value);
        },
        (error: unknown) => {
          if (pending.settled) return;
          pending.settled = true;
          reject(outcome.failed(operation, error));
        },
      );
    });
  }

  /** Calls still waiting in the queue (settled ones leave it at the next sweep). */
  get size(): number {
    return this.queue.length - this.head;
  }

  private start(): void {
    this.timer = setInterval(() => this.sweep(), this.periodMs);
    this.timer.unref();
  }

  private sweep(): void {
    const now = performance.now();
    const queue = this.queue;
    let head = this.head;
    while (head < queue.length) {
      const pending = queue[head]!;
      if (!pending.settled) {
        if (pending.deadline > now) break;
        pending.settled = true;
        pending.reject(new TimeoutError(this.ms));
      }
      head++;
    }
    if (head === queue.length) {
      this.queue = [];
      this.head = 0;
      clearInterval(this.timer);
      this.timer = undefined;
    } else if (head >= COMPACT_AT && head * 2 >= queue.length) {
      this.queue = queue.slice(head);
      this.head = 0;
    } else {
      this.head = head;
    }
  }
}
