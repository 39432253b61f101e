import type { Attributes, Category, Product } from '../types.ts';
import type { Queryable } from './pool.ts';

/** PostgreSQL's catalogue rows, the SELECTs that return them, and the products and categories they become. */

export interface ProductRow {
  id: number;
  sku: string;
  slug: string;
  name: string;
  description: string;
  category_slug: string;
  category_name: string;
  price_minor: number;
  currency: string;
  stock: number;
  attributes: Attributes;
  created_at: Date;
  updated_at: Date;
}

export interface CategoryRow {
  slug: string;
  name: string;
  description: string;
  product_count: number;
  created_at: Date;
  updated_at: Date;
}

export const PRODUCT_SELECT = `SELECT p.id, p.sku, p.slug, p.name, p.description, c.slug AS category_slug, c.name AS category_name,
  p.price_minor, p.currency, p.stock, p.attributes, p.created_at, p.updated_at
  FROM products p JOIN categories c ON c.id = p.category_id`;

export const CATEGORY_SELECT = `SELECT c.slug, c.name, c.description, c.created_at, c.updated_at,
  (SELECT COUNT(*) FROM products p WHERE p.category_id = c.id)::int AS product_count FROM categories c`;

export function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    slug: row.slug,
    name: row.name,
    description: row.description,
    category: { slug: row.category_slug, name: row.category_name },
    price: { amount: row.price_minor, currency: row.currency },
    stock: row.stock,
    attributes: row.attributes,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toCategory(row: CategoryRow): Category {
  return {
    slug: row.slug,
    name: row.name,
    description: row.description,
    productCount: row.product_count,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function productById(q: Queryable, id: number): Promise<Product | undefined> {
  const { rows } = await q.query<ProductRow>(`${PRODUCT_SELECT} WHERE p.id = $1`, [id]);
  return rows[0] ? toProduct(rows[0]) : undefined;
}

export async function categoryBySlug(q: Queryable, slug: string): Promise<Category | undefined> {
  const { rows } = await q.query<CategoryRow>(`${CATEGORY_SELECT} WHERE c.slug = $1`, [slug]);
  return rows[0] ? toCategory(rows[0]) : undefined;
}
