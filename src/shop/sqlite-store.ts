import { CatalogRepository } from './catalog-repository.ts';
import { type Db, openDatabase } from './database.ts';
import { ConflictError, isDomainError, StoreUnavailableError } from './errors.ts';
import { OrderRepository } from './order-repository.ts';
import { type SeedOptions, seedIfEmpty } from './seed.ts';
import type { CatalogStore, OrderStore, ShopStore, StoreHealth } from './store.ts';
import type { DbErrorKind, StatementName, StoreObserver } from './store-observer.ts';

/** SQLite's result codes as the database metrics count them. */
export function classifySqliteError(error: unknown): DbErrorKind | undefined {
  // The repositories answer a unique violation with the ConflictError the API maps to 409, but SQLite
  // refused the statement: a conflict the database reported, counted as PostgreSQL's are.
  if (error instanceof ConflictError && sqliteCode(error.cause).startsWith('SQLITE_CONSTRAINT')) return 'conflict';
  if (isDomainError(error)) return undefined;
  const code = sqliteCode(error);
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return 'timeout'; // busy_timeout ran out waiting for another writer
  if (/^SQLITE_(IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOTADB|CORRUPT)/.test(code)) return 'unavailable';
  if (code.startsWith('SQLITE_CONSTRAINT')) return 'conflict';
  return 'other';
}

function sqliteCode(error: unknown): string {
  return error instanceof Error && 'code' in error ? String(error.code) : '';
}

/**
 * The shop on an SQLite file (better-sqlite3, synchronous): the repositories behind the async
 * store interface, each call observed. A lock not granted within the busy timeout or a file
 * that fails is a StoreUnavailableError, as on PostgreSQL.
 */
export class SqliteStore implements ShopStore {
  readonly backend = 'sqlite' as const;
  readonly catalog: CatalogStore;
  readonly orders: OrderStore;
  // Reads a real table: `SELECT 1` would succeed with the catalogue unreadable.
  private readonly probe;

  constructor(
    readonly db: Db,
    private readonly observer: StoreObserver,
  ) {
    const catalog = new CatalogRepository(db);
    const orders = new OrderRepository(db);
    const run = <T>(statement: StatementName, work: () => T): Promise<T> => this.run(statement, work);
    this.catalog = {
      product: (id) => run('product_by_id', () => catalog.product(id)),
      products: (ids) => run('products_by_ids', () => catalog.products(ids)),
      categories: () => run('categories', () => catalog.categories()),
      category: (slug) => run('category_by_slug', () => catalog.category(slug)),
      search: (query) => run('search', () => catalog.search(query)),
      popular: (limit) => run('popular', () => catalog.popular(limit)),
      categoryOfProduct: (id) => run('category_of_product', () => catalog.categoryOfProduct(id)),
      createProduct: (input) => run('create_product', () => catalog.createProduct(input)),
      updateProduct: (id, patch) => run('update_product', () => catalog.updateProduct(id, patch)),
      deleteProduct: (id) => run('delete_product', () => catalog.deleteProduct(id)),
      createCategory: (input) => run('create_category', () => catalog.createCategory(input)),
      updateCategory: (slug, patch) => run('update_category', () => catalog.updateCategory(slug, patch)),
      deleteCategory: (slug) => run('delete_category', () => catalog.deleteCategory(slug)),
    };
    this.orders = {
      find: (id) => run('find_order', () => orders.find(id)),
      place: (input, key) => run('place_order', () => orders.place(input, key)),
    };
    this.probe = db.prepare('SELECT id FROM products LIMIT 1');
  }

  /** Opens (and migrates) the file and seeds it when empty. */
  static open(
    path: string,
    options: { busyTimeoutMs: number; seed: SeedOptions; observer: StoreObserver },
  ): { store: SqliteStore; seeded: boolean } {
    const db = openDatabase(path, { busyTimeoutMs: options.busyTimeoutMs });
    const seeded = seedIfEmpty(db, options.seed);
    return { store: new SqliteStore(db, options.observer), seeded };
  }

  health(): StoreHealth {
    try {
      this.probe.get();
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', error: error instanceof Error ? error.message : String(error) };
    }
  }

  poolStats(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private async run<T>(statement: StatementName, work: () => T): Promise<T> {
    try {
      return await this.observer.run('sqlite', statement, async () => work(), classifySqliteError);
    } catch (error) {
      const kind = classifySqliteError(error);
      if (kind === 'timeout' || kind === 'unavailable') throw new StoreUnavailableError(error);
      throw error;
    }
  }
}
