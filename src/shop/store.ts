import type { PlacedOrder } from './order-repository.ts';
import type {
  Category,
  CategoryPatch,
  NewCategory,
  NewOrder,
  NewProduct,
  Order,
  Product,
  ProductPage,
  ProductPatch,
  ProductQuery,
} from './types.ts';

/**
 * The shop's source of truth as the services see it: SQLite (src/shop/*-repository.ts) or
 * PostgreSQL (src/shop/postgres/*). Every call is asynchronous, whichever backend answers; a
 * failure to reach the store is a StoreUnavailableError, a domain rule broken is its domain error.
 */
export interface CatalogStore {
  product(id: number): Promise<Product | undefined>;
  products(ids: readonly number[]): Promise<Map<number, Product>>;
  categories(): Promise<Category[]>;
  category(slug: string): Promise<Category | undefined>;
  search(query: ProductQuery): Promise<ProductPage>;
  popular(limit: number): Promise<{ productId: number; unitsSold: number }[]>;
  categoryOfProduct(id: number): Promise<string | undefined>;
  createProduct(input: NewProduct): Promise<Product>;
  updateProduct(id: number, patch: ProductPatch): Promise<{ before: Product; after: Product }>;
  deleteProduct(id: number): Promise<Product>;
  createCategory(input: NewCategory): Promise<Category>;
  updateCategory(slug: string, patch: CategoryPatch): Promise<Category>;
  deleteCategory(slug: string): Promise<void>;
}

export interface OrderStore {
  find(id: string): Promise<Order | undefined>;
  /** Places the whole order or nothing; never sells stock that is not there. */
  place(input: NewOrder, idempotencyKey?: string): Promise<PlacedOrder>;
}

export type StoreBackend = 'sqlite' | 'postgresql';

/** What readiness reports about the store. */
export interface StoreHealth {
  status: 'up' | 'down';
  error?: string;
}

/** A connection pool's occupancy (PostgreSQL; SQLite has one synchronous connection and no pool). */
export interface PoolStats {
  inUse: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface ShopStore {
  readonly backend: StoreBackend;
  readonly catalog: CatalogStore;
  readonly orders: OrderStore;
  health(): StoreHealth;
  /** Pool occupancy; undefined when the backend has no pool (SQLite). */
  poolStats(): PoolStats | undefined;
  close(): Promise<void>;
}
