import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../src/cache/circuit-breaker.ts';
import type { CircuitState } from '../src/cache/types.ts';

function breaker() {
  let now = 0;
  const states: CircuitState[] = [];
  const b = new CircuitBreaker({
    failureThreshold: 3,
    openMs: 1_000,
    now: () => now,
    onStateChange: (s) => states.push(s),
  });
  return { b, states, advance: (ms: number) => (now += ms) };
}

describe('circuit breaker', () => {
  it('opens after the threshold of consecutive failures, not before', () => {
    const { b, states } = breaker();
    b.failure();
    b.failure();
    expect(b.allow()).toBe(true);
    b.success(); // a success resets the count
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
    expect(states).toEqual(['open']);
  });

  it('lets exactly one probe through after openMs, and closes on its success', () => {
    const { b, states, advance } = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    advance(999);
    expect(b.allow()).toBe(false);
    advance(1);
    expect(b.allow()).toBe(true);
    expect(b.state).toBe('half-open');
    expect(b.allow()).toBe(false); // a second caller waits for the probe
    b.success();
    expect(b.state).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('opens again at once when the probe fails', () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    advance(1_000);
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    advance(500);
    expect(b.allow()).toBe(false);
  });
});
