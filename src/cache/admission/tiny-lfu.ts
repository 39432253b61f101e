import { FrequencySketch, hashKey } from './frequency-sketch.ts';

/**
 * TinyLFU's admission rule: a candidate leaving the admission window replaces the main
 * region's least recently used entry only if it was asked for more often lately. One-off keys
 * (a flood of distinct searches) lose to anything read twice, so they cannot push out hot keys.
 */
export class TinyLfuAdmission {
  private readonly sketch: FrequencySketch;

  constructor(
    expectedEntries: number,
    private readonly random: () => number = Math.random,
  ) {
    this.sketch = new FrequencySketch(expectedEntries);
  }

  /** Called on every L1 lookup, hit or miss. */
  record(key: string): void {
    this.sketch.increment(hashKey(key));
  }

  frequency(key: string): number {
    return this.sketch.frequency(hashKey(key));
  }

  admit(candidate: string, victim: string): boolean {
    const candidateFrequency = this.sketch.frequency(hashKey(candidate));
    const victimFrequency = this.sketch.frequency(hashKey(victim));
    if (candidateFrequency > victimFrequency) return true;
    // Someone who can make a victim look popular (hash collisions, a crafted flood) must not pin
    // it forever: a warm candidate wins now and then anyway (Caffeine does the same, 1 in 128).
    return candidateFrequency > 5 && this.random() < 1 / 128;
  }

  get bytes(): number {
    return this.sketch.bytes;
  }

  clear(): void {
    this.sketch.clear();
  }
}
