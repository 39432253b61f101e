/**
 * Bytes held per prefix, and for prefixes given a share of L1, their cap with their keys in
 * insertion order so the oldest can be dropped when the share is full. Only capped prefixes
 * pay for the order (one Set entry per key); the rest only add and subtract numbers.
 */
export class PrefixBudgets {
  private readonly held: Float64Array;
  private readonly caps: Float64Array;
  private readonly order: (Set<string> | undefined)[];
  /** Indexes of capped prefixes, so enforcing looks at those only. */
  readonly capped: readonly number[];

  /** shares[i] in (0, 1], or 1 for no cap. */
  constructor(shares: readonly number[], totalBytes: number) {
    this.held = new Float64Array(shares.length);
    this.caps = new Float64Array(shares.map((s) => (s < 1 ? Math.floor(s * totalBytes) : Number.POSITIVE_INFINITY)));
    this.order = shares.map((s) => (s < 1 ? new Set<string>() : undefined));
    this.capped = shares.flatMap((s, i) => (s < 1 ? [i] : []));
  }

  added(prefix: number, key: string, bytes: number): void {
    this.held[prefix]! += bytes;
    this.order[prefix]?.add(key);
  }

  removed(prefix: number, key: string, bytes: number): void {
    this.held[prefix]! -= bytes;
    this.order[prefix]?.delete(key);
  }

  /** A key the order still lists but no region holds any more (should not happen; keeps enforcement finite). */
  forget(prefix: number, key: string): void {
    this.order[prefix]?.delete(key);
  }

  /** A value replaced in place: the key keeps its place in the order. */
  resized(prefix: number, delta: number): void {
    this.held[prefix]! += delta;
  }

  bytes(prefix: number): number {
    return this.held[prefix] ?? 0;
  }

  cap(prefix: number): number {
    return this.caps[prefix] ?? Number.POSITIVE_INFINITY;
  }

  /** The oldest key of a prefix that is over its cap, or undefined when it is within. */
  overflowing(prefix: number): string | undefined {
    if (this.held[prefix]! <= this.caps[prefix]!) return undefined;
    const oldest = this.order[prefix]?.values().next();
    return oldest && !oldest.done ? oldest.value : undefined;
  }

  /** Set entry per key of a capped prefix, counted in that prefix's entries. */
  static readonly ORDER_BYTES_PER_KEY = 40;

  isCapped(prefix: number): boolean {
    return this.order[prefix] !== undefined;
  }
}
