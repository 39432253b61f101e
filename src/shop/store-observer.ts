import type { StoreBackend } from './store.ts';

/**
 * Every database operation the shop runs, by name: the `statement` label of the database
 * metrics and the summary of its span. A fixed set, never built from input.
 */
export const STATEMENTS = [
  'product_by_id',
  'products_by_ids',
  'categories',
  'category_by_slug',
  'search',
  'popular',
  'category_of_product',
  'create_product',
  'update_product',
  'delete_product',
  'create_category',
  'update_category',
  'delete_category',
  'find_order',
  'place_order',
  'migrate',
  'seed',
  'probe',
] as const;
export type StatementName = (typeof STATEMENTS)[number];

export const DB_ERROR_KINDS = ['timeout', 'unavailable', 'pool_exhausted', 'conflict', 'other'] as const;
/** Why an operation failed; undefined for a domain outcome (not found, not enough stock), which is no database error. */
export type DbErrorKind = (typeof DB_ERROR_KINDS)[number];

/** What each operation does, for its span (OpenTelemetry database conventions: db.operation.name, db.collection.name). */
export const STATEMENT_INFO: Record<StatementName, { operation: string; collection: string }> = {
  product_by_id: { operation: 'SELECT', collection: 'products' },
  products_by_ids: { operation: 'SELECT', collection: 'products' },
  categories: { operation: 'SELECT', collection: 'categories' },
  category_by_slug: { operation: 'SELECT', collection: 'categories' },
  search: { operation: 'SELECT', collection: 'products' },
  popular: { operation: 'SELECT', collection: 'order_items' },
  category_of_product: { operation: 'SELECT', collection: 'products' },
  create_product: { operation: 'INSERT', collection: 'products' },
  update_product: { operation: 'UPDATE', collection: 'products' },
  delete_product: { operation: 'DELETE', collection: 'products' },
  create_category: { operation: 'INSERT', collection: 'categories' },
  update_category: { operation: 'UPDATE', collection: 'categories' },
  delete_category: { operation: 'DELETE', collection: 'categories' },
  find_order: { operation: 'SELECT', collection: 'orders' },
  place_order: { operation: 'INSERT', collection: 'orders' },
  migrate: { operation: 'MIGRATE', collection: 'schema_migrations' },
  seed: { operation: 'INSERT', collection: 'products' },
  probe: { operation: 'SELECT', collection: 'products' },
};

/**
 * How the shop reports database work; observability implements it (metrics, spans). The store
 * times nothing itself and classifies failures, since only it knows its driver's errors.
 */
export interface StoreObserver {
  run<T>(
    backend: StoreBackend,
    statement: StatementName,
    operation: () => Promise<T>,
    classify: (error: unknown) => DbErrorKind | undefined,
  ): Promise<T>;
}

export const unobserved: StoreObserver = {
  run: (_backend, _statement, operation) => operation(),
};
