/** The samples the page holds: one time axis, one array per series, trimmed to the chosen window. */
export interface Sample {
  t: number;
  v: Record<string, number>;
}

export class SeriesStore {
  t: number[] = [];
  readonly series = new Map<string, (number | null)[]>();

  constructor(public windowSeconds: number) {}

  reset(t: number[], series: Record<string, (number | null)[]>): void {
    this.t = [...t];
    this.series.clear();
    for (const [name, values] of Object.entries(series)) this.series.set(name, [...values]);
    this.trim();
  }

  append(sample: Sample): void {
    const n = this.t.length;
    if (n > 0 && sample.t <= this.t[n - 1]!) return;
    this.t.push(sample.t);
    for (const [name, values] of this.series) values.push(sample.v[name] ?? null);
    for (const [name, value] of Object.entries(sample.v)) {
      if (!this.series.has(name)) this.series.set(name, [...new Array<null>(n).fill(null), value]);
    }
    this.trim();
  }

  get last(): number | undefined {
    return this.t[this.t.length - 1];
  }

  /** The newest value of a series (null when it had none at the last sample). */
  latest(name: string): number | null {
    const values = this.series.get(name);
    return values?.[values.length - 1] ?? null;
  }

  /** Sum of a rate series over the last `seconds` samples (1 s apart): events in that time. */
  sumLast(name: string, seconds: number, intervalSeconds: number): number {
    const values = this.series.get(name) ?? [];
    let total = 0;
    for (let i = Math.max(0, values.length - seconds / intervalSeconds); i < values.length; i++) {
      total += (values[i] ?? 0) * intervalSeconds;
    }
    return total;
  }

  names(): string[] {
    return [...this.series.keys()];
  }

  private trim(): void {
    const last = this.last;
    if (last === undefined) return;
    let drop = 0;
    while (drop < this.t.length && this.t[drop]! <= last - this.windowSeconds * 1000) drop++;
    if (drop === 0) return;
    this.t.splice(0, drop);
    for (const values of this.series.values()) values.splice(0, drop);
  }
}
