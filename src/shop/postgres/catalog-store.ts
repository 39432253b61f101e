import { ConflictError, NotFoundError, UnprocessableError } from '../errors.ts';
import { slugify } from '../seed.ts';
import type { CatalogStore } from '../store.ts';
import type {
  Category,
  CategoryPatch,
  NewCategory,
  NewProduct,
  Product,
  ProductPage,
  ProductPatch,
  ProductQuery,
} from '../types.ts';
import {
  CATEGORY_SELECT,
  type CategoryRow,
  categoryBySlug,
  PRODUCT_SELECT,
  type ProductRow,
  productById,
  toCategory,
  toProduct,
} from './catalog-rows.ts';
import { isUniqueViolation, type Queryable } from './pool.ts';
import { searchProducts } from './product-search.ts';
import type { PostgresRunner } from './runner.ts';

async function requireCategoryId(q: Queryable, slug: string): Promise<number> {
  const { rows } = await q.query<{ id: number }>('SELECT id FROM categories WHERE slug = $1', [slug]);
  if (!rows[0]) throw new UnprocessableError(`unknown category "${slug}"`, { field: 'category' });
  return rows[0].id;
}

function conflictOnUnique(message: string): (error: unknown) => never {
  return (error) => {
    throw isUniqueViolation(error) ? new ConflictError(message) : error;
  };
}

/** Categories and products on PostgreSQL; every statement parameterised. */
export class PostgresCatalogStore implements CatalogStore {
  constructor(private readonly db: PostgresRunner) {}

  product(id: number): Promise<Product | undefined> {
    return this.db.query('product_by_id', (q) => productById(q, id));
  }

  products(ids: readonly number[]): Promise<Map<number, Product>> {
    if (ids.length === 0) return Promise.resolve(new Map());
    return this.db.query('products_by_ids', async (q) => {
      const { rows } = await q.query<ProductRow>(`${PRODUCT_SELECT} WHERE p.id = ANY($1::bigint[])`, [ids]);
      return new Map(rows.map((r) => [r.id, toProduct(r)]));
    });
  }

  categories(): Promise<Category[]> {
    return this.db.query('categories', async (q) => {
      const { rows } = await q.query<CategoryRow>(`${CATEGORY_SELECT} ORDER BY c.name COLLATE "C"`);
      return rows.map(toCategory);
    });
  }

  category(slug: string): Promise<Category | undefined> {
    return this.db.query('category_by_slug', (q) => categoryBySlug(q, slug));
  }

  search(query: ProductQuery): Promise<ProductPage> {
    return searchProducts(this.db, query);
  }

  popular(limit: number): Promise<{ productId: number; unitsSold: number }[]> {
    return this.db.query('popular', async (q) => {
      const { rows } = await q.query<{ product_id: number; units: number }>(
        `SELECT oi.product_id, SUM(oi.quantity) AS units FROM order_items oi
         JOIN products p ON p.id = oi.product_id
         GROUP BY oi.product_id ORDER BY units DESC, oi.product_id ASC LIMIT $1`,
        [limit],
      );
      return rows.map((r) => ({ productId: r.product_id, unitsSold: r.units }));
    });
  }

  categoryOfProduct(id: number): Promise<string | undefined> {
    return this.db.query('category_of_product', async (q) => {
      const { rows } = await q.query<{ slug: string }>(
        'SELECT c.slug FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = $1',
        [id],
      );
      return rows[0]?.slug;
    });
  }

  createProduct(input: NewProduct): Promise<Product> {
    return this.db
      .transaction('create_product', async (q) => {
        const categoryId = await requireCategoryId(q, input.category);
        const now = new Date().toISOString();
        const { rows } = await q.query<{ id: number }>(
          `INSERT INTO products (sku, slug, name, description, category_id, price_minor, currency, stock, attributes, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::json, $10, $10) RETURNING id`,
          [
            input.sku,
            input.slug ?? slugify(`${input.name}-${input.sku}`),
            input.name,
            input.description ?? '',
            categoryId,
            input.price.amount,
            input.price.currency,
            input.stock,
            JSON.stringify(input.attributes ?? {}),
            now,
          ],
        );
        return (await productById(q, rows[0]!.id))!;
      })
      .catch(conflictOnUnique('a product with this sku or slug already exists'));
  }

  updateProduct(id: number, patch: ProductPatch): Promise<{ before: Product; after: Product }> {
    return this.db.transaction('update_product', async (q) => {
      // The row lock orders concurrent updates of one product: `before` is what this update replaced.
      await q.query('SELECT id FROM products WHERE id = $1 FOR UPDATE', [id]);
      const before = await productById(q, id);
      if (!before) throw new NotFoundError('product', id);
      const sets: string[] = [];
      const params: (string | number)[] = [];
      const set = (column: string, value: string | number, cast = '') => {
        params.push(value);
        sets.push(`${column} = $${params.length}${cast}`);
      };
      if (patch.name !== undefined) set('name', patch.name);
      if (patch.description !== undefined) set('description', patch.description);
      if (patch.stock !== undefined) set('stock', patch.stock);
      if (patch.attributes !== undefined) set('attributes', JSON.stringify(patch.attributes), '::json');
      if (patch.price !== undefined) {
        set('price_minor', patch.price.amount);
        set('currency', patch.price.currency);
      }
      if (patch.category !== undefined) set('category_id', await requireCategoryId(q, patch.category));
      set('updated_at', new Date().toISOString());
      params.push(id);
      await q.query(`UPDATE products SET ${sets.join(', ')} WHERE id = $${params.length}`, params);
      return { before, after: (await productById(q, id))! };
    });
  }

  deleteProduct(id: number): Promise<Product> {
    return this.db.transaction('delete_product', async (q) => {
      const before = await productById(q, id);
      if (!before) throw new NotFoundError('product', id);
      const { rowCount } = await q.query('DELETE FROM products WHERE id = $1', [id]);
      if (rowCount !== 1) throw new NotFoundError('product', id);
      return before;
    });
  }

  createCategory(input: NewCategory): Promise<Category> {
    return this.db
      .query('create_category', async (q) => {
        const now = new Date().toISOString();
        await q.query(
          'INSERT INTO categories (slug, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)',
          [input.slug, input.name, input.description ?? '', now],
        );
        return (await categoryBySlug(q, input.slug))!;
      })
      .catch(conflictOnUnique(`category ${input.slug} already exists`));
  }

  updateCategory(slug: string, patch: CategoryPatch): Promise<Category> {
    return this.db.query('update_category', async (q) => {
      const sets: string[] = [];
      const params: string[] = [];
      const set = (column: string, value: string) => {
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      };
      if (patch.name !== undefined) set('name', patch.name);
      if (patch.description !== undefined) set('description', patch.description);
      set('updated_at', new Date().toISOString());
      params.push(slug);
      const { rowCount } = await q.query(
        `UPDATE categories SET ${sets.join(', ')} WHERE slug = $${params.length}`,
        params,
      );
      if (rowCount === 0) throw new NotFoundError('category', slug);
      return (await categoryBySlug(q, slug))!;
    });
  }

  deleteCategory(slug: string): Promise<void> {
    return this.db.transaction('delete_category', async (q) => {
      const { rows } = await q.query<{ id: number }>('SELECT id FROM categories WHERE slug = $1 FOR UPDATE', [slug]);
      if (!rows[0]) throw new NotFoundError('category', slug);
      const count = await q.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM products WHERE category_id = $1', [
        rows[0].id,
      ]);
      const productCount = count.rows[0]?.n ?? 0;
      if (productCount > 0)
        throw new ConflictError(`category ${slug} still has ${productCount} products`, { productCount });
      // ON DELETE RESTRICT backs the count: a product added meanwhile makes this DELETE fail, not orphan it.
      await q.query('DELETE FROM categories WHERE id = $1', [rows[0].id]);
    });
  }
}
