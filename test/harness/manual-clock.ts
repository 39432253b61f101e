/** A clock the test moves by hand: freshness and grace follow it, nothing sleeps for them. */
export class ManualClock {
  private t = 1_700_000_000_000;
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
