/**
 * The Space-Saving heavy-hitters sketch (Metwally, Agrawal, El Abbadi, 2005) over a stream of
 * keys, in `capacity` counters: every key seen more than n/capacity times is kept, and each kept
 * count overestimates the truth by at most its `error`. Counters sit in buckets of equal count
 * (the "stream summary"), so an update is O(1): a counter only ever moves to the next bucket up,
 * and the key to replace is in the lowest bucket.
 */
interface Counter {
  key: string;
  /** Overestimate bound: the count the replaced key had when this one took its counter. */
  error: number;
  bucket: Bucket;
  prev: Counter | undefined;
  next: Counter | undefined;
}

interface Bucket {
  count: number;
  /** Counters in this bucket (doubly linked). */
  first: Counter | undefined;
  /** Buckets in ascending count order. */
  lower: Bucket | undefined;
  higher: Bucket | undefined;
}

export interface HeavyHitter {
  key: string;
  count: number;
  error: number;
}

export class SpaceSaving {
  private readonly counters = new Map<string, Counter>();
  private lowest: Bucket | undefined;
  private highest: Bucket | undefined;
  private observed = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  /** Items offered so far. */
  get total(): number {
    return this.observed;
  }

  offer(key: string): void {
    this.observed++;
    const existing = this.counters.get(key);
    if (existing) {
      this.increment(existing);
      return;
    }
    if (this.counters.size < this.capacity) {
      const counter: Counter = { key, error: 0, bucket: this.bucketAtOne(), prev: undefined, next: undefined };
      attach(counter.bucket, counter);
      this.counters.set(key, counter);
      return;
    }
    // Full: the key takes over a counter of the lowest count, and inherits that count as its error.
    const victim = this.lowest!.first!;
    this.counters.delete(victim.key);
    victim.key = key;
    victim.error = victim.bucket.count;
    this.counters.set(key, victim);
    this.increment(victim);
  }

  /** The `limit` highest counts, highest first. */
  top(limit: number): HeavyHitter[] {
    const out: HeavyHitter[] = [];
    for (let b = this.highest; b && out.length < limit; b = b.lower) {
      for (let c = b.first; c && out.length < limit; c = c.next)
        out.push({ key: c.key, count: b.count, error: c.error });
    }
    return out;
  }

  private bucketAtOne(): Bucket {
    if (this.lowest?.count === 1) return this.lowest;
    const bucket: Bucket = { count: 1, first: undefined, lower: undefined, higher: this.lowest };
    if (this.lowest) this.lowest.lower = bucket;
    else this.highest = bucket;
    this.lowest = bucket;
    return bucket;
  }

  private increment(counter: Counter): void {
    const from = counter.bucket;
    let to = from.higher;
    if (!to || to.count !== from.count + 1) {
      to = { count: from.count + 1, first: undefined, lower: from, higher: from.higher };
      if (from.higher) from.higher.lower = to;
      else this.highest = to;
      from.higher = to;
    }
    detach(counter);
    counter.bucket = to;
    attach(to, counter);
    if (!from.first) this.removeBucket(from);
  }

  private removeBucket(bucket: Bucket): void {
    if (bucket.lower) bucket.lower.higher = bucket.higher;
    else this.lowest = bucket.higher;
    if (bucket.higher) bucket.higher.lower = bucket.lower;
    else this.highest = bucket.lower;
  }
}

function attach(bucket: Bucket, counter: Counter): void {
  counter.prev = undefined;
  counter.next = bucket.first;
  if (bucket.first) bucket.first.prev = counter;
  bucket.first = counter;
}

function detach(counter: Counter): void {
  const bucket = counter.bucket;
  if (counter.prev) counter.prev.next = counter.next;
  else bucket.first = counter.next;
  if (counter.next) counter.next.prev = counter.prev;
  counter.prev = undefined;
  counter.next = undefined;
}
