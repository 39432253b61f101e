import type { Db } from './database.ts';
import { ConflictError, NotFoundError, UnprocessableError } from './errors.ts';
import { slugify } from './seed.ts';
import { type CategoryRow, PRODUCT_COLUMNS, type ProductRow, toCategory, toProduct } from './sqlite-catalog-rows.ts';
import { searchProducts } from './sqlite-product-search.ts';
import type {
  Category,
  CategoryPatch,
  NewCategory,
  NewProduct,
  Product,
  ProductPage,
  ProductPatch,
  ProductQuery,
} from './types.ts';

/** All SQL for categories and products but the search (sqlite-product-search.ts). Statements are prepared once. */
export class CatalogRepository {
  private readonly byId;
  private readonly categoriesWithCounts;
  private readonly categoryBySlug;
  private readonly categoryIdBySlug;
  private readonly popularIds;

  constructor(private readonly db: Db) {
    this.byId = db.prepare<[number], ProductRow>(
      `SELECT ${PRODUCT_COLUMNS} FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = ?`,
    );
    const categorySelect = `SELECT c.id, c.slug, c.name, c.description, c.created_at, c.updated_at,
      (SELECT COUNT(*) FROM products p WHERE p.category_id = c.id) AS product_count FROM categories c`;
    this.categoriesWithCounts = db.prepare<[], CategoryRow>(`${categorySelect} ORDER BY c.name`);
    this.categoryBySlug = db.prepare<[string], CategoryRow>(`${categorySelect} WHERE c.slug = ?`);
    this.categoryIdBySlug = db.prepare<[string], { id: number }>('SELECT id FROM categories WHERE slug = ?');
    this.popularIds = db.prepare<[number], { product_id: number; units: number }>(
      `SELECT oi.product_id, SUM(oi.quantity) AS units FROM order_items oi
       JOIN products p ON p.id = oi.product_id
       GROUP BY oi.product_id ORDER BY units DESC, oi.product_id ASC LIMIT ?`,
    );
  }

  product(id: number): Product | undefined {
    const row = this.byId.get(id);
    return row ? toProduct(row) : undefined;
  }

  products(ids: readonly number[]): Map<number, Product> {
    const out = new Map<number, Product>();
    if (ids.length === 0) return out;
    const rows = this.db
      .prepare<number[], ProductRow>(
        `SELECT ${PRODUCT_COLUMNS} FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id IN (${ids.map(() => '?').join(',')})`,
      )
      .all(...ids);
    for (const row of rows) out.set(row.id, toProduct(row));
    return out;
  }

  categories(): Category[] {
    return this.categoriesWithCounts.all().map(toCategory);
  }

  category(slug: string): Category | undefined {
    const row = this.categoryBySlug.get(slug);
    return row ? toCategory(row) : undefined;
  }

  search(query: ProductQuery): ProductPage {
    return searchProducts(this.db, query);
  }

  /** Best sellers: an aggregate over every order line, the kind of query a cache exists for. */
  popular(limit: number): { productId: number; unitsSold: number }[] {
    return this.popularIds.all(limit).map((r) => ({ productId: r.product_id, unitsSold: r.units }));
  }

  categoryOfProduct(id: number): string | undefined {
    return this.byId.get(id)?.category_slug;
  }

  createProduct(input: NewProduct): Product {
    const categoryId = this.requireCategoryId(input.category);
    const now = new Date().toISOString();
    try {
      const info = this.db
        .prepare(
          `INSERT INTO products (sku, slug, name, description, category_id, price_minor, currency, stock, attributes, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
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
          now,
        );
      return this.product(Number(info.lastInsertRowid))!;
    } catch (error) {
      throw uniqueViolation(error, 'a product with this sku or slug already exists');
    }
  }

  updateProduct(id: number, patch: ProductPatch): { before: Product; after: Product } {
    return this.db
      .transaction(() => {
        const before = this.product(id);
        if (!before) throw new NotFoundError('product', id);
        const sets: string[] = [];
        const params: (string | number)[] = [];
        if (patch.name !== undefined) {
          sets.push('name = ?');
          params.push(patch.name);
        }
        if (patch.description !== undefined) {
          sets.push('description = ?');
          params.push(patch.description);
        }
        if (patch.stock !== undefined) {
          sets.push('stock = ?');
          params.push(patch.stock);
        }
        if (patch.attributes !== undefined) {
          sets.push('attributes = ?');
          params.push(JSON.stringify(patch.attributes));
        }
        if (patch.price !== undefined) {
          sets.push('price_minor = ?', 'currency = ?');
          params.push(patch.price.amount, patch.price.currency);
        }
        if (patch.category !== undefined) {
          sets.push('category_id = ?');
          params.push(this.requireCategoryId(patch.category));
        }
        sets.push('updated_at = ?');
        params.push(new Date().toISOString());
        this.db.prepare(`UPDATE products SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
        return { before, after: this.product(id)! };
      })
      .immediate();
  }

  deleteProduct(id: number): Product {
    return this.db
      .transaction(() => {
        const before = this.product(id);
        if (!before) throw new NotFoundError('product', id);
        this.db.prepare('DELETE FROM products WHERE id = ?').run(id);
        return before;
      })
      .immediate();
  }

  createCategory(input: NewCategory): Category {
    const now = new Date().toISOString();
    try {
      this.db
        .prepare('INSERT INTO categories (slug, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
        .run(input.slug, input.name, input.description ?? '', now, now);
    } catch (error) {
      throw uniqueViolation(error, `category ${input.slug} already exists`);
    }
    return this.category(input.slug)!;
  }

  updateCategory(slug: string, patch: CategoryPatch): Category {
    const sets: string[] = [];
    const params: string[] = [];
    if (patch.name !== undefined) {
      sets.push('name = ?');
      params.push(patch.name);
    }
    if (patch.description !== undefined) {
      sets.push('description = ?');
      params.push(patch.description);
    }
    sets.push('updated_at = ?');
    params.push(new Date().toISOString());
    const info = this.db.prepare(`UPDATE categories SET ${sets.join(', ')} WHERE slug = ?`).run(...params, slug);
    if (info.changes === 0) throw new NotFoundError('category', slug);
    return this.category(slug)!;
  }

  deleteCategory(slug: string): void {
    this.db
      .transaction(() => {
        const cat = this.category(slug);
        if (!cat) throw new NotFoundError('category', slug);
        if (cat.productCount > 0)
          throw new ConflictError(`category ${slug} still has ${cat.productCount} products`, {
            productCount: cat.productCount,
          });
        this.db.prepare('DELETE FROM categories WHERE slug = ?').run(slug);
      })
      .immediate();
  }

  private requireCategoryId(slug: string): number {
    const row = this.categoryIdBySlug.get(slug);
    if (!row) throw new UnprocessableError(`unknown category "${slug}"`, { field: 'category' });
    return row.id;
  }
}

function uniqueViolation(error: unknown, message: string): unknown {
  if (
    error instanceof Error &&
    'code' in error &&
    String((error as { code: unknown }).code).startsWith('SQLITE_CONSTRAINT')
  ) {
    return new ConflictError(message, {}, { cause: error });
  }
  return error;
}
