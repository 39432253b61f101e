/**
 * The φ-quantile of a histogram from cumulative bucket counts, interpolated linearly inside the
 * bucket that holds it: what PromQL's histogram_quantile does, so the console and Grafana agree.
 * `bounds` are the finite upper bounds in ascending order; `cumulative` has one more entry (+Inf).
 * NaN when the histogram is empty; the highest finite bound when the quantile lies past it.
 */
export function histogramQuantile(phi: number, bounds: readonly number[], cumulative: readonly number[]): number {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (!(total > 0)) return Number.NaN;
  const rank = phi * total;
  for (let i = 0; i < bounds.length; i++) {
    const upTo = cumulative[i]!;
    if (upTo >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const below = i === 0 ? 0 : cumulative[i - 1]!;
      const inBucket = upTo - below;
      return inBucket > 0 ? lower + (bounds[i]! - lower) * ((rank - below) / inBucket) : bounds[i]!;
    }
  }
  return bounds[bounds.length - 1] ?? Number.NaN;
}
