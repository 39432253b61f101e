/**
 * How often each key was asked for lately, approximately, in a fixed amount of memory: a
 * count-min sketch of 4-bit counters (TinyLFU's frequency filter). Four rows, each indexed by a
 * differently mixed hash; a key's estimate is the smallest of its four counters, so collisions
 * can only overestimate. Counters saturate at 15 and every counter is halved after
 * `sampleSize` recordings, so the estimate follows what is popular now, not what was once.
 */
export class FrequencySketch {
  /** Eight 4-bit counters per 32-bit word; row r occupies words [r * rowWords, (r + 1) * rowWords). */
  private readonly table: Uint32Array;
  private readonly rowWords: number;
  /** Counter index mask within one row (row width is a power of two). */
  private readonly counterMask: number;
  private additions = 0;
  /** Recordings between two halvings: ten per expected entry, as in Caffeine. */
  readonly sampleSize: number;

  constructor(expectedEntries: number) {
    // Four counters per row per expected entry (16 in all, 8 bytes), as in Caffeine: few collisions.
    const width = 4 * nextPowerOfTwo(Math.max(16, Math.min(expectedEntries, 1 << 22)));
    this.rowWords = width >>> 3;
    this.counterMask = width - 1;
    this.table = new Uint32Array(this.rowWords * 4);
    this.sampleSize = 10 * Math.max(64, expectedEntries);
  }

  /** Bytes of the counter table: fixed at construction. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /** Records one access. Four reads and at most four writes of a typed array. */
  increment(hash: number): void {
    let added = false;
    for (let row = 0; row < 4; row++) {
      const i = this.counterIndex(hash, row);
      const word = row * this.rowWords + (i >>> 3);
      const shift = (i & 7) << 2;
      const w = this.table[word]!;
      if (((w >>> shift) & 15) < 15) {
        this.table[word] = w + (1 << shift);
        added = true;
      }
    }
    if (added && ++this.additions >= this.sampleSize) this.halve();
  }

  /** The estimated number of recent accesses, 0..15. */
  frequency(hash: number): number {
    let min = 15;
    for (let row = 0; row < 4; row++) {
      const i = this.counterIndex(hash, row);
      const c = (this.table[row * this.rowWords + (i >>> 3)]! >>> ((i & 7) << 2)) & 15;
      if (c < min) min = c;
    }
    return min;
  }

  /** Ages every counter at once: each 4-bit counter is shifted right by one inside its word. */
  halve(): void {
    for (let i = 0; i < this.table.length; i++) this.table[i] = (this.table[i]! >>> 1) & 0x77777777;
    this.additions = this.additions >>> 1;
  }

  clear(): void {
    this.table.fill(0);
    this.additions = 0;
  }

  private counterIndex(hash: number, row: number): number {
    // A different odd multiplier per row, then a xor-shift, so the rows disagree on collisions.
    let h = Math.imul(hash, ROW_SEEDS[row]!);
    h ^= h >>> 15;
    return h & this.counterMask;
  }
}

const ROW_SEEDS = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f];

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}

/** FNV-1a over the UTF-16 code units, finished with murmur3's avalanche: cheap and well spread for short keys. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
