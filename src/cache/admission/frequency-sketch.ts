/**
 * How often each key was asked for lately, approximately, in a fixed amount of memory: a
 * count-min sketch of 4-bit counters (TinyLFU's frequency filter). Four rows, each indexed by a
 * differently mixed hash; a key's estimate is the smallest of its four counters, so collisions
 * can only overestimate. Counters saturate at 15 and every counter is halved after
 * `sampleSize` recordings, so the estimate follows what is popular now, not what was once.
 *
 * Large tables keep a key's four counters in one 64-byte block (16 words, four per row), as
 * Caffeine does: one cache line per recording instead of four scattered over the table, which
 * cost four cache misses per L1 hit (BENCHMARKS.md). Small tables keep the four rows apart:
 * with few blocks, keys sharing a block would inflate each other's counts (tried: a hot key of
 * a 2 KiB test sketch lost its place), and a small table fits the CPU cache anyway.
 */
export class FrequencySketch {
  /** Eight 4-bit counters per 32-bit word. */
  private readonly table: Uint32Array;
  /** Row layout: row r occupies words [r * rowWords, (r + 1) * rowWords). */
  private readonly rowWords: number;
  /** Row layout: counter index mask within one row (row width is a power of two). */
  private readonly counterMask: number;
  /** Block layout (tables of BLOCKED_MIN_BLOCKS blocks and more): 32 - log2(blocks); 0 for the row layout. */
  private readonly blockShift: number;
  private additions = 0;
  /**
   * Counts every halving and clearing: the only events that lower a counter. A key found with
   * all four counters at 15 stays there, and recording it changes nothing, until this moves.
   */
  agings = 0;
  /** Recordings between two halvings: ten per expected entry, as in Caffeine. */
  readonly sampleSize: number;

  constructor(expectedEntries: number) {
    // Four counters per row per expected entry (16 in all, 8 bytes), as in Caffeine: few collisions.
    const width = 4 * nextPowerOfTwo(Math.max(16, Math.min(expectedEntries, 1 << 22)));
    this.rowWords = width >>> 3;
    this.counterMask = width - 1;
    this.table = new Uint32Array(this.rowWords * 4);
    const blocks = this.table.length >>> 4;
    this.blockShift = blocks >= BLOCKED_MIN_BLOCKS ? 32 - Math.log2(blocks) : 0;
    this.sampleSize = 10 * Math.max(64, expectedEntries);
  }

  /** Adding recordings left before the next halving. */
  get untilAging(): number {
    return this.sampleSize - this.additions;
  }

  /** Whether a key's four counters share one 64-byte block (large tables). */
  get blockLocal(): boolean {
    return this.blockShift !== 0;
  }

  /** Bytes of the counter table: fixed at construction. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /**
   * Records one access. Four reads and at most four writes of a typed array. Returns whether
   * all four counters are now saturated (15): recording the key again is a no-op until the next aging.
   */
  increment(hash: number): boolean {
    let added = false;
    let saturated = true;
    const blocked = this.blockShift !== 0;
    const block = blocked ? (hash >>> this.blockShift) << 4 : 0;
    const counters = blocked ? blockCounterHash(hash) : 0;
    for (let row = 0; row < 4; row++) {
      let word: number;
      let shift: number;
      if (blocked) {
        const h = counters >>> (row << 3);
        word = block + (row << 2) + (h & 3);
        shift = ((h >>> 2) & 7) << 2;
      } else {
        const i = this.counterIndex(hash, row);
        word = row * this.rowWords + (i >>> 3);
        shift = (i & 7) << 2;
      }
      const w = this.table[word]!;
      const c = (w >>> shift) & 15;
      if (c < 15) {
        this.table[word] = w + (1 << shift);
        added = true;
        if (c < 14) saturated = false;
      }
    }
    if (added && ++this.additions >= this.sampleSize) {
      this.halve();
      return false;
    }
    return saturated;
  }

  /** The estimated number of recent accesses, 0..15. */
  frequency(hash: number): number {
    let min = 15;
    const blocked = this.blockShift !== 0;
    const block = blocked ? (hash >>> this.blockShift) << 4 : 0;
    const counters = blocked ? blockCounterHash(hash) : 0;
    for (let row = 0; row < 4; row++) {
      let c: number;
      if (blocked) {
        const h = counters >>> (row << 3);
        c = (this.table[block + (row << 2) + (h & 3)]! >>> (((h >>> 2) & 7) << 2)) & 15;
      } else {
        const i = this.counterIndex(hash, row);
        c = (this.table[row * this.rowWords + (i >>> 3)]! >>> ((i & 7) << 2)) & 15;
      }
      if (c < min) min = c;
    }
    return min;
  }

  /** Ages every counter at once: each 4-bit counter is shifted right by one inside its word. */
  halve(): void {
    for (let i = 0; i < this.table.length; i++) this.table[i] = (this.table[i]! >>> 1) & 0x77777777;
    this.additions = this.additions >>> 1;
    this.agings++;
  }

  clear(): void {
    this.table.fill(0);
    this.additions = 0;
    this.agings++;
  }

  private counterIndex(hash: number, row: number): number {
    // A different odd multiplier per row, then a xor-shift, so the rows disagree on collisions.
    let h = Math.imul(hash, ROW_SEEDS[row]!);
    h ^= h >>> 15;
    return h & this.counterMask;
  }
}

const ROW_SEEDS = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f];

/**
 * Block layout from this many 64-byte blocks up (a 32 KiB table, sized for 4,096 entries): with
 * fewer, a block is shared by too many keys. Smaller tables fit the CPU cache, so they lose little.
 */
const BLOCKED_MIN_BLOCKS = 512;

/**
 * Eight bits per row from a second mix of the hash: two pick the row's word, three the counter
 * in it. The block is the hash's high bits; these come mostly from its low bits.
 */
function blockCounterHash(hash: number): number {
  const h = Math.imul(hash, 0x31848bab);
  return h ^ (h >>> 14);
}

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
