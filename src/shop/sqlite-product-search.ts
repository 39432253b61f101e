import type { Db } from './database.ts';
import { searchTerms } from './search-terms.ts';
import { PRODUCT_COLUMNS, type ProductRow, toProduct } from './sqlite-catalog-rows.ts';
import type { ProductPage, ProductQuery } from './types.ts';

const ORDER_BY: Record<ProductQuery['sort'], string> = {
  price_asc: 'p.price_minor ASC, p.id ASC',
  price_desc: 'p.price_minor DESC, p.id ASC',
  name: 'p.name ASC, p.id ASC',
  newest: 'p.created_at DESC, p.id DESC',
};

/** Free text as an FTS5 query of quoted prefix terms (see searchTerms). */
export function toFtsQuery(text: string): string | undefined {
  return searchTerms(text)
    ?.map((t) => `"${t}"*`)
    .join(' ');
}

/** One page of the products a query matches, with the total it matches, on SQLite (FTS5 for the words). */
export function searchProducts(db: Db, query: ProductQuery): ProductPage {
  const where: string[] = [];
  const params: (string | number)[] = [];
  let from = 'products p JOIN categories c ON c.id = p.category_id';
  if (query.q !== undefined) {
    const fts = toFtsQuery(query.q);
    if (fts === undefined) return { items: [], page: query.page, limit: query.limit, total: 0 };
    from += ' JOIN products_fts f ON f.rowid = p.id';
    where.push('products_fts MATCH ?');
    params.push(fts);
  }
  if (query.category !== undefined) {
    where.push('c.slug = ?');
    params.push(query.category);
  }
  if (query.minPrice !== undefined) {
    where.push('p.price_minor >= ?');
    params.push(query.minPrice);
  }
  if (query.maxPrice !== undefined) {
    where.push('p.price_minor <= ?');
    params.push(query.maxPrice);
  }
  if (query.inStock !== undefined) where.push(query.inStock ? 'p.stock > 0' : 'p.stock = 0');
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM ${from} ${whereSql}`).get(...params) as { n: number }).n;
  const rows = db
    .prepare<(string | number)[], ProductRow>(
      `SELECT ${PRODUCT_COLUMNS} FROM ${from} ${whereSql} ORDER BY ${ORDER_BY[query.sort]} LIMIT ? OFFSET ?`,
    )
    .all(...params, query.limit, (query.page - 1) * query.limit);
  return { items: rows.map(toProduct), page: query.page, limit: query.limit, total };
}
