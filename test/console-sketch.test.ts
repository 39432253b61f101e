import fc from 'fast-check';
import { expect, test } from 'vitest';
import { histogramQuantile } from '../src/console/histogram-quantile.ts';
import { SeriesHistory } from '../src/console/series-history.ts';
import { SpaceSaving } from '../src/console/space-saving.ts';

test('Space-Saving keeps its guarantees against exact counts (model-based)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      // Skewed streams: small alphabets repeat, so some keys are heavy hitters and others churn.
      fc.array(fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 40 }).map(String)), {
        maxLength: 400,
      }),
      (capacity, stream) => {
        const sketch = new SpaceSaving(capacity);
        const exact = new Map<string, number>();
        for (const key of stream) {
          sketch.offer(key);
          exact.set(key, (exact.get(key) ?? 0) + 1);
        }
        const top = sketch.top(capacity);
        expect(top.length).toBe(Math.min(capacity, exact.size));
        expect(sketch.total).toBe(stream.length);
        // Counts are ordered, sum to the stream length, and bracket the truth: count - error ≤ true ≤ count.
        for (let i = 1; i < top.length; i++) expect(top[i]!.count).toBeLessThanOrEqual(top[i - 1]!.count);
        expect(top.reduce((s, h) => s + h.count, 0)).toBe(stream.length);
        for (const h of top) {
          const truth = exact.get(h.key) ?? 0;
          expect(h.count).toBeGreaterThanOrEqual(truth);
          expect(h.count - h.error).toBeLessThanOrEqual(truth);
        }
        // Every key seen more than n/capacity times is kept.
        const kept = new Set(top.map((h) => h.key));
        for (const [key, count] of exact) if (count > stream.length / capacity) expect(kept.has(key)).toBe(true);
      },
    ),
    { numRuns: 300 },
  );
});

test('a hot key among many cold ones is at the top of a small sketch', () => {
  const sketch = new SpaceSaving(8);
  // A fifth of the stream: more than n/capacity, so Space-Saving guarantees it is kept.
  for (let i = 0; i < 10_000; i++) sketch.offer(i % 5 === 0 ? 'product:42' : `product:${i}`);
  expect(sketch.top(1)[0]?.key).toBe('product:42');
  expect(sketch.top(100).length).toBe(8);
});

test('history is a bounded ring: oldest samples and surplus series are dropped', () => {
  const history = new SeriesHistory(3, 2);
  for (let t = 1; t <= 5; t++)
    history.push(
      t * 1000,
      new Map([
        ['a', t],
        ['b', t * 10],
        ['c', 0],
      ]),
    );
  const w = history.window();
  expect(w.t).toEqual([3000, 4000, 5000]);
  expect(w.series).toEqual({ a: [3, 4, 5], b: [30, 40, 50] });
  expect(history.droppedSeries).toBe(5);
  history.push(6000, new Map([['a', 6]]));
  expect(history.window(4500)).toEqual({ t: [5000, 6000], series: { a: [5, 6], b: [50, null] } });
});

test('histogram quantiles interpolate as PromQL does', () => {
  const bounds = [0.1, 0.2, 0.4];
  // 10 in (0, 0.1], 10 in (0.1, 0.2], none above.
  expect(histogramQuantile(0.5, bounds, [10, 20, 20, 20])).toBeCloseTo(0.1);
  expect(histogramQuantile(0.75, bounds, [10, 20, 20, 20])).toBeCloseTo(0.15);
  expect(histogramQuantile(0.25, bounds, [10, 20, 20, 20])).toBeCloseTo(0.05);
  expect(histogramQuantile(0.99, bounds, [0, 0, 0, 5])).toBe(0.4);
  expect(histogramQuantile(0.5, bounds, [0, 0, 0, 0])).toBeNaN();
});
