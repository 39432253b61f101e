/**
 * A fixed-length history of named numeric series sampled together (one timestamp per sample).
 * Memory is bounded twice: by the number of samples kept (a ring) and by the number of series
 * (names past the cap are dropped and counted, so a label set that grows cannot grow this).
 */
export interface HistoryWindow {
  /** Sample times, Unix milliseconds, oldest first. */
  t: number[];
  /** One value per time; null where the series had no value at that sample. */
  series: Record<string, (number | null)[]>;
}

export class SeriesHistory {
  private readonly times: Float64Array;
  private readonly columns = new Map<string, Float64Array>();
  private head = 0;
  private length = 0;
  /** Series names refused because the cap was reached. */
  droppedSeries = 0;

  constructor(
    readonly capacity: number,
    readonly maxSeries: number,
  ) {
    this.times = new Float64Array(capacity);
  }

  get size(): number {
    return this.length;
  }

  get seriesCount(): number {
    return this.columns.size;
  }

  push(time: number, values: ReadonlyMap<string, number>): void {
    const slot = this.head;
    this.times[slot] = time;
    for (const column of this.columns.values()) column[slot] = Number.NaN;
    for (const [name, value] of values) {
      let column = this.columns.get(name);
      if (!column) {
        if (this.columns.size >= this.maxSeries) {
          this.droppedSeries++;
          continue;
        }
        column = new Float64Array(this.capacity).fill(Number.NaN);
        this.columns.set(name, column);
      }
      column[slot] = value;
    }
    this.head = (slot + 1) % this.capacity;
    this.length = Math.min(this.length + 1, this.capacity);
  }

  /** The samples taken after `sinceMs`, oldest first (at most `capacity`). */
  window(sinceMs = Number.NEGATIVE_INFINITY): HistoryWindow {
    const slots: number[] = [];
    for (let i = this.length; i > 0; i--) {
      const slot = (this.head - i + this.capacity) % this.capacity;
      if (this.times[slot]! > sinceMs) slots.push(slot);
    }
    const series: Record<string, (number | null)[]> = {};
    for (const [name, column] of this.columns) {
      series[name] = slots.map((s) => {
        const v = column[s]!;
        return Number.isFinite(v) ? v : null;
      });
    }
    return { t: slots.map((s) => this.times[s]!), series };
  }
}
