import type { Attributes, Category, Product } from './types.ts';

/** SQLite's catalogue rows, as the repository's SELECTs return them, and the products and categories they become. */

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
  attributes: string;
  created_at: string;
  updated_at: string;
}

export interface CategoryRow {
  id: number;
  slug: string;
  name: string;
  description: string;
  product_count: number;
  created_at: string;
  updated_at: string;
}

export const PRODUCT_COLUMNS = `p.id, p.sku, p.slug, p.name, p.description, c.slug AS category_slug, c.name AS category_name,
  p.price_minor, p.currency, p.stock, p.attributes, p.created_at, p.updated_at`;

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
    attributes: JSON.parse(row.attributes) as Attributes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toCategory(row: CategoryRow): Category {
  return {
    slug: row.slug,
    name: row.name,
    description: row.description,
    productCount: row.product_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
