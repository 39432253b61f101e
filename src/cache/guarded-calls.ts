import { CircuitBreaker } from './circuit-breaker.ts';
import { classifyRedisError, L2Error, L2UnavailableError, TimeoutError } from './errors.ts';
import type { CacheObserver, CircuitState } from './types.ts';
import { setTimeoutAfterIo } from './with-timeout.ts';

export interface GuardOptions {
  timeoutMs: number;
  breakerFailureThreshold: number;
  breakerOpenMs: number;
}

/**
 * What every L2 call goes through: the circuit breaker, a timeout (ioredis's commandTimeout does
 * not cover a command waiting for a redirect or a reconnect, and the cluster client has none),
 * and, on failure, a classified, counted L2Error. Keeps the last error for /readyz and tells
 * listeners of every circuit transition.
 */
export class GuardedCalls {
  private readonly breaker: CircuitBreaker;
  private lastError: { at: number; message: string } | undefined;
  private readonly circuitListeners: ((state: CircuitState, previous: CircuitState) => void)[] = [];
  private previousCircuit: CircuitState = 'closed';

  constructor(
    private readonly options: GuardOptions,
    private readonly observer: CacheObserver,
  ) {
    this.breaker = new CircuitBreaker({
      failureThreshold: options.breakerFailureThreshold,
      openMs: options.breakerOpenMs,
      onStateChange: (state) => this.circuitChanged(state),
    });
    observer.circuit('closed');
  }

  get state(): CircuitState {
    return this.breaker.state;
  }

  /** When the last call failed and why, for the readiness report. */
  get lastFailure(): { at: string; message: string } | undefined {
    return this.lastError
      ? { at: new Date(this.lastError.at).toISOString(), message: this.lastError.message }
      : undefined;
  }

  onCircuitChange(listener: (state: CircuitState, previous: CircuitState) => void): void {
    this.circuitListeners.push(listener);
  }

  /** A failure outside `call` (no node took a PUBLISH) that still counts towards opening the circuit. */
  failure(): void {
    this.breaker.failure();
  }

  call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.shaped(operation, fn, asIs);
  }

  /**
   * `call`, with the reply turned into the caller's result where it settles. One promise per
   * call and no async frame: on an L2 hit this is most of what the tier adds to ioredis. A reply
   * that comes after the timeout is ignored: it neither closes the breaker nor reaches the caller.
   */
  shaped<T, R>(operation: string, fn: () => Promise<T>, shape: (reply: T) => R): Promise<R> {
    if (!this.breaker.allow()) return Promise.reject(new L2UnavailableError(operation));
    let started: Promise<T>;
    try {
      started = fn();
    } catch (error) {
      return Promise.reject(this.failed(operation, error));
    }
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      // After the I/O already waiting (with-timeout.ts): a busy loop is not a slow Redis.
      const timer = setTimeoutAfterIo(() => {
        if (settled) return;
        settled = true;
        reject(this.failed(operation, new TimeoutError(this.options.timeoutMs)));
      }, this.options.timeoutMs);
      started.then(
        (reply) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.breaker.success();
          resolve(shape(reply));
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(this.failed(operation, error));
        },
      );
    });
  }

  private failed(operation: string, error: unknown): L2Error {
    const kind = classifyRedisError(error);
    // Before failure(): a listener told that this failure opened the circuit can say why.
    this.lastError = { at: Date.now(), message: error instanceof Error ? error.message : String(error) };
    this.breaker.failure();
    this.observer.l2Error(operation, kind);
    return new L2Error(operation, kind, error);
  }

  private circuitChanged(state: CircuitState): void {
    const previous = this.previousCircuit;
    this.previousCircuit = state;
    this.observer.circuit(state);
    for (const listener of this.circuitListeners) listener(state, previous);
  }
}

function asIs<T>(reply: T): T {
  return reply;
}
