/**
 * The traffic shape shared by `npm run bench` (realistic mix) and `npm run load`: Zipf key
 * popularity over the whole catalogue, catalogue pages, searches, best sellers and a small
 * share of writes. Seeded, so two runs send the same sequence.
 */

import { prng } from '../src/shop/seed.ts';

/**
 * Ranks 0..n-1 with P(k) ∝ 1/(k+1)^s, drawn by binary search over the cumulative weights.
 * s = 0 is uniform.
 */
export class Zipf {
  private readonly cdf: Float64Array;
  constructor(
    readonly n: number,
    readonly s: number,
    private readonly random: () => number,
  ) {
    if (!(n >= 1)) throw new Error('Zipf needs n >= 1');
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      sum += 1 / (k + 1) ** s;
      this.cdf[k] = sum;
    }
    for (let k = 0; k < n; k++) this.cdf[k]! /= sum;
  }
  next(): number {
    const u = this.random();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A random permutation of 1..n, so the most popular ids are spread over the catalogue rather than 1, 2, 3. */
export function shuffledIds(n: number, random: () => number): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i + 1;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = ids[i]!;
    ids[i] = ids[j]!;
    ids[j] = t;
  }
  return ids;
}

export const CATEGORY_SLUGS = [
  'roses',
  'tulips',
  'peonies',
  'orchids',
  'bouquets',
  'wedding',
  'house-plants',
  'succulents',
  'gifts',
  'seasonal',
  'lilies',
  'dried-flowers',
] as const;
const SORTS = ['name', 'price_asc', 'price_desc', 'newest'] as const;
const WORDS = [
  'rose',
  'tulip',
  'peony',
  'orchid',
  'lily',
  'bouquet',
  'bridal',
  'monstera',
  'ficus',
  'cactus',
  'aloe',
  'vase',
  'candle',
  'mimosa',
  'lilac',
  'sunflower',
  'lavender',
  'pampas',
  'classic',
  'romance',
  'velvet',
  'garden',
  'nordic',
  'provence',
  'aurora',
  'bloom',
  'silk',
  'sunny',
];
const COLOURS = [
  'red',
  'white',
  'pink',
  'yellow',
  'peach',
  'purple',
  'orange',
  'cream',
  'burgundy',
  'lilac',
  'coral',
  'mixed',
];

export type RequestKind = 'product' | 'catalog' | 'search' | 'popular' | 'write-price' | 'write-order';

export interface PlannedRequest {
  kind: RequestKind;
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface MixOptions {
  /** Products in the catalogue (ids 1..n). */
  products: number;
  /** Zipf exponent; 0 = uniform. */
  zipf: number;
  /** Share of requests that write (split between price changes through admin and orders). */
  writeRatio: number;
  /** Writes through admin need it; without it every write is an order. */
  adminToken?: string | undefined;
  seed?: number;
  /** Uniform over many distinct searches and ids: the traffic that makes the hit ratio fall. */
  scatter?: boolean;
}

/** Draws the next request of the mix: 70% products, 14% catalogue pages, 10% searches, 5% best sellers, the rest writes. */
export class Mix {
  private readonly random: () => number;
  private readonly ids: Int32Array;
  private readonly productRank: Zipf;
  private readonly pageRank: Zipf;
  private readonly searchRank: Zipf;
  private readonly searches: string[];
  private orderSeq = 0;

  constructor(private readonly options: MixOptions) {
    this.random = prng(options.seed ?? 42);
    this.ids = shuffledIds(options.products, this.random);
    this.productRank = new Zipf(options.products, options.zipf, this.random);
    // A catalogue page is (category or all) × sort × page 1..10; earlier pages are far more popular.
    this.pageRank = new Zipf((CATEGORY_SLUGS.length + 1) * SORTS.length * 10, options.zipf, this.random);
    this.searches = [...WORDS, ...COLOURS.flatMap((c) => WORDS.map((w) => `${c} ${w}`))];
    this.searchRank = new Zipf(this.searches.length, options.zipf, this.random);
  }

  next(): PlannedRequest {
    const r = this.random();
    const { writeRatio } = this.options;
    if (r < writeRatio) return this.write();
    const read = (r - writeRatio) / (1 - writeRatio);
    if (this.options.scatter) return this.scattered(read);
    if (read < 0.7) return { kind: 'product', method: 'GET', path: `/api/products/${this.productId()}` };
    if (read < 0.84) {
      const k = this.pageRank.next();
      const page = (k % 10) + 1;
      const sort = SORTS[Math.floor(k / 10) % SORTS.length]!;
      const cat = Math.floor(k / 10 / SORTS.length);
      const category = cat < CATEGORY_SLUGS.length ? `&category=${CATEGORY_SLUGS[cat]}` : '';
      return { kind: 'catalog', method: 'GET', path: `/api/products?limit=24&sort=${sort}&page=${page}${category}` };
    }
    if (read < 0.95)
      return {
        kind: 'search',
        method: 'GET',
        path: `/api/products?q=${encodeURIComponent(this.searches[this.searchRank.next()]!)}`,
      };
    return { kind: 'popular', method: 'GET', path: `/api/products/popular?limit=${this.random() < 0.8 ? 10 : 20}` };
  }

  /** Cold keys: each search is new (a random price bound makes it distinct), each id uniform over the catalogue. */
  private scattered(read: number): PlannedRequest {
    // Mostly searches that were never asked before: on a small catalogue even uniform ids end up cached.
    if (read < 0.2)
      return {
        kind: 'product',
        method: 'GET',
        path: `/api/products/${1 + Math.floor(this.random() * this.options.products)}`,
      };
    const word = WORDS[Math.floor(this.random() * WORDS.length)]!;
    return {
      kind: 'search',
      method: 'GET',
      path: `/api/products?q=${word}&minPrice=${Math.floor(this.random() * 100_000)}`,
    };
  }

  private productId(): number {
    return this.ids[this.productRank.next()]!;
  }

  private write(): PlannedRequest {
    const id = this.productId();
    if (this.options.adminToken && this.random() < 0.5) {
      const price = 500 + Math.floor(this.random() * 20_000);
      return {
        kind: 'write-price',
        method: 'PATCH',
        path: `/admin/products/${id}`,
        headers: { authorization: `Bearer ${this.options.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ price: { amount: price, currency: 'EUR' } }),
      };
    }
    this.orderSeq++;
    return {
      kind: 'write-order',
      method: 'POST',
      path: '/api/orders',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': `load-${process.pid}-${Date.now()}-${this.orderSeq}`,
      },
      body: JSON.stringify({
        customer: { name: 'Load Test', email: 'load@example.com' },
        items: [{ productId: id, quantity: 1 }],
      }),
    };
  }
}
