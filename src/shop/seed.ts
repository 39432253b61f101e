import { randomBytes } from 'node:crypto';
import type { Db } from './database.ts';

/** A small deterministic PRNG (mulberry32): the same seed builds the same catalogue everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface CategorySeed {
  slug: string;
  name: string;
  description: string;
  kind: 'stems' | 'bouquet' | 'potted' | 'gift';
  flowers: readonly string[];
  basePrice: number;
}

export const SEED_CATEGORIES: readonly CategorySeed[] = [
  {
    slug: 'roses',
    name: 'Roses',
    description: 'Garden and long-stem roses, sold by the stem count.',
    kind: 'stems',
    flowers: ['Rose', 'Spray Rose', 'Garden Rose', 'David Austin Rose'],
    basePrice: 2900,
  },
  {
    slug: 'tulips',
    name: 'Tulips',
    description: 'Dutch and French tulips in season.',
    kind: 'stems',
    flowers: ['Tulip', 'Parrot Tulip', 'French Tulip', 'Double Tulip'],
    basePrice: 1900,
  },
  {
    slug: 'peonies',
    name: 'Peonies',
    description: 'Lush peonies from May to July.',
    kind: 'stems',
    flowers: ['Peony', 'Coral Peony', 'Tree Peony'],
    basePrice: 3900,
  },
  {
    slug: 'orchids',
    name: 'Orchids',
    description: 'Phalaenopsis and rarer orchids in pots.',
    kind: 'potted',
    flowers: ['Phalaenopsis', 'Cymbidium', 'Dendrobium', 'Oncidium'],
    basePrice: 4500,
  },
  {
    slug: 'bouquets',
    name: 'Bouquets',
    description: 'Hand-tied bouquets by our florists.',
    kind: 'bouquet',
    flowers: ['Meadow', 'Pastel', 'Sunset', 'Classic', 'Spring'],
    basePrice: 4900,
  },
  {
    slug: 'wedding',
    name: 'Wedding',
    description: 'Bridal bouquets, boutonnieres and table flowers.',
    kind: 'bouquet',
    flowers: ['Bridal', 'Boutonniere', 'Centrepiece', 'Arch'],
    basePrice: 8900,
  },
  {
    slug: 'house-plants',
    name: 'House plants',
    description: 'Green plants for home and office.',
    kind: 'potted',
    flowers: ['Monstera', 'Ficus', 'Calathea', 'Pothos', 'Sansevieria'],
    basePrice: 3500,
  },
  {
    slug: 'succulents',
    name: 'Succulents',
    description: 'Easy-care succulents and cacti.',
    kind: 'potted',
    flowers: ['Echeveria', 'Aloe', 'Haworthia', 'Cactus', 'Crassula'],
    basePrice: 1500,
  },
  {
    slug: 'gifts',
    name: 'Gifts',
    description: 'Chocolates, vases and cards to go with the flowers.',
    kind: 'gift',
    flowers: ['Vase', 'Chocolate Box', 'Greeting Card', 'Candle'],
    basePrice: 1200,
  },
  {
    slug: 'seasonal',
    name: 'Seasonal',
    description: 'What is best this season: mimosa, lilac, sunflowers.',
    kind: 'stems',
    flowers: ['Mimosa', 'Lilac', 'Sunflower', 'Ranunculus', 'Anemone'],
    basePrice: 2400,
  },
  {
    slug: 'lilies',
    name: 'Lilies',
    description: 'Oriental and calla lilies.',
    kind: 'stems',
    flowers: ['Oriental Lily', 'Calla Lily', 'Asiatic Lily'],
    basePrice: 3200,
  },
  {
    slug: 'dried-flowers',
    name: 'Dried flowers',
    description: 'Bouquets that last for months.',
    kind: 'bouquet',
    flowers: ['Lavender', 'Pampas', 'Cotton', 'Statice'],
    basePrice: 2900,
  },
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
const STYLES = [
  'Classic',
  'Romance',
  'Morning',
  'Velvet',
  'Garden',
  'Nordic',
  'Provence',
  'Aurora',
  'Bloom',
  'Silk',
  'Sunny',
  'Whisper',
];
const STEMS = [5, 7, 9, 11, 15, 21, 25, 51, 101];
const POTS = ['9 cm', '12 cm', '14 cm', '17 cm', '21 cm'];

export interface SeedOptions {
  products: number;
  orders: number;
  seed?: number;
}

export interface SeedCategory {
  id: number;
  slug: string;
  name: string;
  description: string;
  createdAt: string;
}

export interface SeedProduct {
  id: number;
  sku: string;
  slug: string;
  name: string;
  description: string;
  categoryId: number;
  price: number;
  stock: number;
  attributes: string;
  createdAt: string;
}

export interface SeedOrder {
  id: string;
  customerName: string;
  customerEmail: string;
  total: number;
  createdAt: string;
  lines: { productId: number; sku: string; name: string; quantity: number; unitPrice: number }[];
}

export interface SeedPlan {
  categories: SeedCategory[];
  products: SeedProduct[];
  orders: SeedOrder[];
}

/**
 * The catalogue every backend seeds, row by row with its ids: the same PRNG seed gives the same
 * categories, products and order lines on SQLite and PostgreSQL (order ids alone are random).
 */
export function planSeed(options: SeedOptions): SeedPlan {
  const rand = prng(options.seed ?? 20261124);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const base = Date.UTC(2025, 0, 1);
  const iso = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
  const categories = SEED_CATEGORIES.map((c, i) => ({
    id: i + 1,
    slug: c.slug,
    name: c.name,
    description: c.description,
    createdAt: iso(0),
  }));
  const products: SeedProduct[] = [];
  for (let i = 1; i <= options.products; i++) {
    const ci = Math.floor(rand() * SEED_CATEGORIES.length);
    const cat = SEED_CATEGORIES[ci]!;
    const colour = pick(COLOURS);
    const flower = pick(cat.flowers);
    const style = pick(STYLES);
    const attributes: Record<string, string | number> = { colour };
    let name: string;
    let price = cat.basePrice;
    if (cat.kind === 'stems') {
      const stems = pick(STEMS);
      attributes.stemCount = stems;
      attributes.stemLengthCm = pick([40, 50, 60, 70, 80]);
      name = `${style} ${colour} ${flower} × ${stems}`;
      price = Math.round((cat.basePrice * stems) / 7);
    } else if (cat.kind === 'potted') {
      const pot = pick(POTS);
      attributes.potSize = pot;
      name = `${flower} ${style} in ${pot} pot`;
      price = cat.basePrice + POTS.indexOf(pot) * 700;
    } else if (cat.kind === 'bouquet') {
      const size = pick(['S', 'M', 'L', 'XL']);
      attributes.size = size;
      name = `${flower} bouquet "${style}" (${colour}, ${size})`;
      price = cat.basePrice + ['S', 'M', 'L', 'XL'].indexOf(size) * 1500;
    } else {
      name = `${style} ${flower} (${colour})`;
    }
    price += Math.floor(rand() * 900);
    const description = `${name}. Hand-picked ${colour} ${flower.toLowerCase()} from our ${cat.name.toLowerCase()} collection, delivered fresh with care instructions.`;
    const stock = rand() < 0.08 ? 0 : Math.floor(rand() * 200);
    products.push({
      id: i,
      sku: `FS-${String(i).padStart(6, '0')}`,
      slug: `${slugify(name)}-${i}`,
      name,
      description,
      categoryId: ci + 1,
      price,
      stock,
      attributes: JSON.stringify(attributes),
      createdAt: iso(i * 13),
    });
  }
  const orders: SeedOrder[] = [];
  if (options.products > 0) {
    for (let o = 0; o < options.orders; o++) {
      const quantities = new Map<number, number>();
      const n = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < n; k++) {
        // Skewed popularity: low ids sell far more, as best sellers do.
        const pid = 1 + Math.floor(options.products * rand() ** 3);
        quantities.set(pid, (quantities.get(pid) ?? 0) + 1 + Math.floor(rand() * 2));
      }
      const lines = [...quantities].map(([productId, quantity]) => {
        const p = products[productId - 1]!;
        return { productId, sku: p.sku, name: p.name, quantity, unitPrice: p.price };
      });
      orders.push({
        id: randomBytes(16).toString('base64url'),
        customerName: `Customer ${o}`,
        customerEmail: `customer${o}@example.com`,
        total: lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0),
        createdAt: iso(options.products * 13 + o * 7),
        lines,
      });
    }
  }
  return { categories, products, orders };
}

/** Fills an empty SQLite database with the planned catalogue; does nothing when categories exist. */
export function seedIfEmpty(db: Db, options: SeedOptions): boolean {
  // The emptiness check sits inside the write lock: two instances starting on one file seed once.
  return db
    .transaction(() => {
      const count = (db.prepare('SELECT COUNT(*) AS n FROM categories').get() as { n: number }).n;
      if (count > 0) return false;
      const plan = planSeed(options);
      const insertCategory = db.prepare(
        'INSERT INTO categories (id, slug, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (const c of plan.categories)
        insertCategory.run(c.id, c.slug, c.name, c.description, c.createdAt, c.createdAt);
      const insertProduct = db.prepare(
        `INSERT INTO products (id, sku, slug, name, description, category_id, price_minor, currency, stock, attributes, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'EUR', ?, ?, ?, ?)`,
      );
      for (const p of plan.products)
        insertProduct.run(
          p.id,
          p.sku,
          p.slug,
          p.name,
          p.description,
          p.categoryId,
          p.price,
          p.stock,
          p.attributes,
          p.createdAt,
          p.createdAt,
        );
      const insertOrder = db.prepare(
        `INSERT INTO orders (id, customer_name, customer_email, total_minor, currency, status, created_at) VALUES (?, ?, ?, ?, 'EUR', 'placed', ?)`,
      );
      const insertItem = db.prepare(
        'INSERT INTO order_items (order_id, product_id, sku, name, quantity, unit_price_minor) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (const o of plan.orders) {
        insertOrder.run(o.id, o.customerName, o.customerEmail, o.total, o.createdAt);
        for (const l of o.lines) insertItem.run(o.id, l.productId, l.sku, l.name, l.quantity, l.unitPrice);
      }
      return true;
    })
    .immediate();
}

export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}
