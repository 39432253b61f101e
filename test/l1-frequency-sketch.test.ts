import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrequencySketch, hashKey } from '../src/cache/admission/frequency-sketch.ts';
import { TinyLfuAdmission } from '../src/cache/admission/tiny-lfu.ts';

describe('frequency sketch (count-min, 4-bit counters)', () => {
  it('never underestimates a key below its true count (up to the 15 ceiling) before aging', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 600 }), (accesses) => {
        const sketch = new FrequencySketch(1_000); // sampleSize 10,000: no halving in 600 accesses
        const truth = new Map<number, number>();
        for (const k of accesses) {
          sketch.increment(hashKey(`product:${k}`));
          truth.set(k, (truth.get(k) ?? 0) + 1);
        }
        for (const [k, n] of truth)
          expect(sketch.frequency(hashKey(`product:${k}`))).toBeGreaterThanOrEqual(Math.min(15, n));
      }),
    );
  });

  it('is mostly exact for a working set the size it was built for (collisions are rare)', () => {
    const sketch = new FrequencySketch(10_000);
    for (let k = 0; k < 10_000; k++) for (let i = 0; i < k % 4; i++) sketch.increment(hashKey(`search:q${k}`));
    let exact = 0;
    for (let k = 0; k < 10_000; k++) if (sketch.frequency(hashKey(`search:q${k}`)) === k % 4) exact++;
    expect(exact / 10_000).toBeGreaterThan(0.95);
  });

  it('saturates at 15 and halves every counter after sampleSize recordings', () => {
    const sketch = new FrequencySketch(64);
    const hot = hashKey('product:1');
    for (let i = 0; i < 40; i++) sketch.increment(hot);
    expect(sketch.frequency(hot)).toBe(15);
    sketch.halve();
    expect(sketch.frequency(hot)).toBe(7);
    // Aging happens by itself: within sampleSize recordings of other keys, every counter is halved.
    const aged = new FrequencySketch(1_000);
    for (let i = 0; i < 15; i++) aged.increment(hot);
    let recorded = 0;
    while (aged.frequency(hot) === 15 && recorded < aged.sampleSize) aged.increment(hashKey(`other:${recorded++}`));
    expect(recorded).toBeLessThanOrEqual(aged.sampleSize);
    expect(aged.frequency(hot)).toBeLessThanOrEqual(8);
  });

  it('has a fixed size: 4 rows of 4 x the next power of two counters, half a byte each (8 bytes per entry)', () => {
    expect(new FrequencySketch(50_000).bytes).toBe((4 * 4 * 65_536) / 2);
    expect(new FrequencySketch(10).bytes).toBe((4 * 4 * 16) / 2);
  });

  it('spreads short keys over the table (hash quality)', () => {
    const buckets = new Uint32Array(256);
    for (let i = 0; i < 256_000; i++) buckets[hashKey(`product:${i}`) & 255]!++;
    for (const b of buckets) expect(Math.abs(b - 1000)).toBeLessThan(150);
  });
});

describe('TinyLFU admission', () => {
  it('admits a candidate only if it is asked for more often than the victim', () => {
    const admission = new TinyLfuAdmission(1_000, () => 0.99);
    for (let i = 0; i < 5; i++) admission.record('product:hot');
    admission.record('search:once');
    expect(admission.admit('search:once', 'product:hot')).toBe(false);
    expect(admission.admit('product:hot', 'search:once')).toBe(true);
    // A tie goes to the incumbent: a one-off does not replace another one-off.
    admission.record('search:other');
    expect(admission.admit('search:other', 'search:once')).toBe(false);
  });

  it('lets a warm candidate past a hotter victim now and then (1 in 128), never a cold one', () => {
    const always = new TinyLfuAdmission(1_000, () => 0);
    for (let i = 0; i < 15; i++) always.record('victim');
    for (let i = 0; i < 6; i++) always.record('warm');
    always.record('cold');
    expect(always.admit('warm', 'victim')).toBe(true);
    expect(always.admit('cold', 'victim')).toBe(false);
  });
});

describe('TinyLFU read buffer (batched recording, saturated keys skipped)', () => {
  // The admission's answers must equal those of a sketch updated at once, access by access.
  const equivalent = (expected: number, keys: number, accesses: number[]) => {
    const admission = new TinyLfuAdmission(expected, () => 0.99);
    const reference = new FrequencySketch(expected);
    const marks = Array.from({ length: keys }, () => ({ saturatedIn: -1 }));
    const key = (k: number) => `product:${k}`;
    for (const [i, k] of accesses.entries()) {
      admission.recordHash(hashKey(key(k)), k % 3 === 0 ? undefined : marks[k]);
      reference.increment(hashKey(key(k)));
      if (i % 97 === 0) {
        const probe = accesses[(i * 31) % accesses.length]!;
        expect(admission.frequency(key(probe))).toBe(reference.frequency(hashKey(key(probe))));
      }
    }
    for (let k = 0; k < keys; k++) expect(admission.frequency(key(k))).toBe(reference.frequency(hashKey(key(k))));
    return { agings: reference.agings, saturated: marks.filter((m) => m.saturatedIn >= 0).length };
  };
  // Half the accesses go to 20 hot keys (they saturate), the rest spread over `keys` (they age the sketch).
  const mix = (keys: number) =>
    fc
      .array(fc.noBias(fc.integer({ min: 0, max: 2 * keys - 1 })), { minLength: 20 * keys, maxLength: 22 * keys })
      .map((xs) => xs.map((x) => (x < keys ? x % 20 : x - keys)));

  it('gives exactly the counts of an immediate update, through saturation and aging (row layout)', () => {
    expect(new FrequencySketch(64).blockLocal).toBe(false);
    fc.assert(
      fc.property(mix(300), (accesses) => {
        const seen = equivalent(64, 300, accesses);
        expect(seen.agings).toBeGreaterThan(0);
        expect(seen.saturated).toBeGreaterThan(0);
      }),
      { numRuns: 20, endOnFailure: true },
    );
  });

  it('gives exactly the counts of an immediate update, through saturation and aging (block layout)', () => {
    expect(new FrequencySketch(4_096).blockLocal).toBe(true);
    fc.assert(
      fc.property(mix(6_000), (accesses) => {
        const seen = equivalent(4_096, 6_000, accesses);
        expect(seen.agings).toBeGreaterThan(0);
        expect(seen.saturated).toBeGreaterThan(0);
      }),
      { numRuns: 3, endOnFailure: true },
    );
  });
});
