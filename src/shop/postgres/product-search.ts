import { searchTerms } from '../search-terms.ts';
import type { ProductPage, ProductQuery } from '../types.ts';
import { PRODUCT_SELECT, type ProductRow, toProduct } from './catalog-rows.ts';
import type { PostgresRunner } from './runner.ts';

// COLLATE "C": names sort by code point, as SQLite's BINARY collation does, whatever the database's locale.
const ORDER_BY: Record<ProductQuery['sort'], string> = {
  price_asc: 'p.price_minor ASC, p.id ASC',
  price_desc: 'p.price_minor DESC, p.id ASC',
  name: 'p.name COLLATE "C" ASC, p.id ASC',
  newest: 'p.created_at DESC, p.id DESC',
};

/** Search words as a tsquery: every word a required prefix (`'rose':* & 'red':*`), as toFtsQuery on SQLite. */
export function toTsQuery(text: string): string | undefined {
  return searchTerms(text)
    ?.map((t) => `'${t}':*`)
    .join(' & ');
}

/** One page of the products a query matches, with the total it matches, on PostgreSQL (a tsquery for the words). */
export function searchProducts(db: PostgresRunner, query: ProductQuery): Promise<ProductPage> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const param = (value: string | number) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (query.q !== undefined) {
    const tsquery = toTsQuery(query.q);
    if (tsquery === undefined) return Promise.resolve({ items: [], page: query.page, limit: query.limit, total: 0 });
    where.push(`p.search_vector @@ to_tsquery('simple', shop_unaccent(${param(tsquery)}))`);
  }
  if (query.category !== undefined) where.push(`c.slug = ${param(query.category)}`);
  if (query.minPrice !== undefined) where.push(`p.price_minor >= ${param(query.minPrice)}`);
  if (query.maxPrice !== undefined) where.push(`p.price_minor <= ${param(query.maxPrice)}`);
  if (query.inStock !== undefined) where.push(query.inStock ? 'p.stock > 0' : 'p.stock = 0');
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const filterParams = [...params];
  const limit = param(query.limit);
  const offset = param((query.page - 1) * query.limit);
  return db.query('search', async (q) => {
    const count = await q.query<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM products p JOIN categories c ON c.id = p.category_id ${whereSql}`,
      filterParams,
    );
    const { rows } = await q.query<ProductRow>(
      `${PRODUCT_SELECT} ${whereSql} ORDER BY ${ORDER_BY[query.sort]} LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
    return { items: rows.map(toProduct), page: query.page, limit: query.limit, total: count.rows[0]?.n ?? 0 };
  });
}
