import { FrequencySketch, hashKey } from './frequency-sketch.ts';

/** Accesses held before they are applied to the sketch together. */
const READ_BUFFER_SIZE = 128;

/**
 * Kept by the caller per key (L1 keeps it on the entry): the sketch aging in which the key was
 * seen with every counter at 15. Until the next aging, recording it again would change nothing.
 */
export interface SaturationMark {
  saturatedIn: number;
}

/**
 * TinyLFU's admission rule: a candidate leaving the admission window replaces the main
 * region's least recently used entry only if it was asked for more often lately. One-off keys
 * (a flood of distinct searches) lose to anything read twice, so they cannot push out hot keys.
 *
 * Accesses are recorded in a bounded read buffer and applied to the sketch in batches, as
 * Caffeine does: an L1 hit only stores a number, and the sketch's cache misses are paid in one
 * tight loop. Every question to the sketch drains the buffer first, so admission sees exactly
 * the counts an immediate update would have given. A hit on a key whose counters are all
 * saturated is not recorded at all until the sketch ages: that recording would be a no-op.
 */
export class TinyLfuAdmission {
  private readonly sketch: FrequencySketch;
  private readonly hashes = new Int32Array(READ_BUFFER_SIZE);
  private readonly marks: (SaturationMark | undefined)[] = new Array<SaturationMark | undefined>(READ_BUFFER_SIZE).fill(
    undefined,
  );
  private buffered = 0;
  /** The sketch's aging count and the recordings it has left before the next, as of the last drain. */
  private agings = 0;
  private untilAging: number;

  constructor(
    expectedEntries: number,
    private readonly random: () => number = Math.random,
  ) {
    this.sketch = new FrequencySketch(expectedEntries);
    this.untilAging = this.sketch.untilAging;
  }

  /** Called on every L1 lookup, hit or miss. */
  record(key: string): void {
    this.recordHash(hashKey(key), undefined);
  }

  /**
   * The same for a key whose hash is known; `mark` learns when the key's counters are saturated.
   * Skipping a saturated key is exact only if nothing buffered before it can age the sketch.
   */
  recordHash(hash: number, mark: SaturationMark | undefined): void {
    if (mark !== undefined && mark.saturatedIn === this.agings && this.buffered < this.untilAging) return;
    const i = this.buffered++;
    this.hashes[i] = hash;
    this.marks[i] = mark;
    if (i + 1 === READ_BUFFER_SIZE) this.drain();
  }

  frequency(key: string): number {
    this.drain();
    return this.sketch.frequency(hashKey(key));
  }

  admit(candidate: string, victim: string): boolean {
    this.drain();
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
    this.buffered = 0;
    this.marks.fill(undefined);
    this.sketch.clear();
    this.agings = this.sketch.agings;
    this.untilAging = this.sketch.untilAging;
  }

  private drain(): void {
    const n = this.buffered;
    this.buffered = 0;
    const sketch = this.sketch;
    for (let i = 0; i < n; i++) {
      const mark = this.marks[i];
      if (sketch.increment(this.hashes[i]!) && mark !== undefined) mark.saturatedIn = sketch.agings;
      this.marks[i] = undefined;
    }
    this.agings = sketch.agings;
    this.untilAging = sketch.untilAging;
  }
}
