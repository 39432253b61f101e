import type { CacheKey } from '../cache/cache-key.ts';
import { LoaderError } from '../cache/errors.ts';
import type { Lookup, TwoTierCache } from '../cache/two-tier-cache.ts';
import { StoreUnavailableError } from './errors.ts';
import { etagOf, type Snapshot, snapshot } from './snapshot.ts';
import type { CatalogStore } from './store.ts';
import type { CategoryPatch, NewCategory, NewProduct, Product, ProductPatch, ProductQuery } from './types.ts';

export type CachedRead = Lookup<Snapshot | null>;

/** Tags that group catalogue pages, so a product change drops only the pages that may list it. */
const ALL_CATEGORIES_TAG = 'catalog:all';
const categoryTag = (slug: string) => `catalog:cat:${slug}`;

/**
 * The shop's reads, each through the two-tier cache, and its writes, each followed by the
 * invalidation of exactly what it made stale.
 */
export class CatalogService {
  constructor(
    private readonly repo: CatalogStore,
    private readonly cache: TwoTierCache,
  ) {}

  productKey(id: number): CacheKey {
    return this.cache.key('product', id);
  }

  product(id: number): CachedRead | Promise<CachedRead> {
    return this.read(this.productKey(id), async () => {
      const p = await this.repo.product(id);
      return p ? snapshot(p) : null;
    });
  }

  categories(): CachedRead | Promise<CachedRead> {
    return this.read(this.cache.key('category', '*list'), async () =>
      snapshot({ items: await this.repo.categories() }),
    );
  }

  category(slug: string): CachedRead | Promise<CachedRead> {
    return this.read(this.cache.key('category', slug), async () => {
      const c = await this.repo.category(slug);
      return c ? snapshot(c) : null;
    });
  }

  products(query: ProductQuery): CachedRead | Promise<CachedRead> {
    const prefix = query.q !== undefined ? 'search' : 'catalog';
    const key = this.cache.key(
      prefix,
      query.category ?? '',
      query.q?.normalize('NFKC').trim().toLowerCase() ?? '',
      query.minPrice ?? '',
      query.maxPrice ?? '',
      query.inStock ?? '',
      query.sort,
      query.page,
      query.limit,
    );
    const tags = [query.category !== undefined ? categoryTag(query.category) : ALL_CATEGORIES_TAG];
    return this.read(key, async () => snapshot(await this.repo.search(query)), tags);
  }

  /**
   * Best sellers: the ranking (an aggregate query) is cached under `popular`, and the products
   * in it come from the product cache in one batched read, so a price change shows at once.
   */
  async popular(limit: number): Promise<CachedRead> {
    const ranking = await this.read(this.cache.key('popular', limit), async () =>
      snapshot(await this.repo.popular(limit)),
    );
    const ranked = JSON.parse(ranking.value?.json ?? '[]') as { productId: number; unitsSold: number }[];
    const keys = ranked.map((r) => this.productKey(r.productId));
    let products: Map<string, Snapshot | null>;
    try {
      products = await this.cache.getMany<Snapshot | null>(keys, async (missing) => {
        const ids = missing.map((k) => Number(k.full.slice(k.full.indexOf(':') + 1)));
        const found = await this.repo.products(ids);
        return new Map(missing.map((k, i) => [k.full, mapProduct(found.get(ids[i]!))]));
      });
    } catch (error) {
      throw error instanceof LoaderError ? new StoreUnavailableError(error.cause) : error;
    }
    const parts: string[] = [];
    ranked.forEach((r, i) => {
      const p = products.get(keys[i]!.full);
      if (p) parts.push(`{"product":${p.json},"unitsSold":${r.unitsSold}}`);
    });
    const json = `{"items":[${parts.join(',')}]}`;
    return { ...ranking, value: { json, etag: etagOf(json) } };
  }

  async createProduct(input: NewProduct): Promise<Product> {
    const product = await this.repo.createProduct(input);
    await this.cache.invalidate({
      keys: [this.productKey(product.id)],
      tags: [ALL_CATEGORIES_TAG, categoryTag(product.category.slug)],
      prefixes: ['search', 'category'],
    });
    return product;
  }

  async updateProduct(id: number, patch: ProductPatch): Promise<Product> {
    const { before, after } = await this.repo.updateProduct(id, patch);
    const moved = before.category.slug !== after.category.slug;
    await this.cache.invalidate({
      keys: [this.productKey(id)],
      tags: [
        ALL_CATEGORIES_TAG,
        categoryTag(before.category.slug),
        ...(moved ? [categoryTag(after.category.slug)] : []),
      ],
      prefixes: moved ? ['search', 'category'] : ['search'],
    });
    return after;
  }

  async deleteProduct(id: number): Promise<void> {
    const before = await this.repo.deleteProduct(id);
    await this.cache.invalidate({
      keys: [this.productKey(id)],
      tags: [ALL_CATEGORIES_TAG, categoryTag(before.category.slug)],
      prefixes: ['search', 'category', 'popular'],
    });
  }

  /** Stock changed by orders: the products and every listing that shows their stock. */
  async stockChanged(products: readonly { id: number; categorySlug: string }[]): Promise<void> {
    await this.cache.invalidate({
      keys: products.map((p) => this.productKey(p.id)),
      tags: [ALL_CATEGORIES_TAG, ...new Set(products.map((p) => categoryTag(p.categorySlug)))],
      prefixes: ['search'],
    });
  }

  categoryOf(productId: number): Promise<string | undefined> {
    return this.repo.categoryOfProduct(productId);
  }

  async createCategory(input: NewCategory) {
    const category = await this.repo.createCategory(input);
    await this.cache.invalidate({ prefixes: ['category'], tags: [categoryTag(input.slug)] });
    return category;
  }

  /** A category's name is embedded in every product of it, so a rename drops products and listings too. */
  async updateCategory(slug: string, patch: CategoryPatch) {
    const category = await this.repo.updateCategory(slug, patch);
    await this.cache.invalidate({ prefixes: ['category', 'product', 'catalog', 'search', 'popular'] });
    return category;
  }

  async deleteCategory(slug: string): Promise<void> {
    await this.repo.deleteCategory(slug);
    await this.cache.invalidate({ prefixes: ['category'], tags: [categoryTag(slug)] });
  }

  private read(key: CacheKey, load: () => Promise<Snapshot | null>, tags?: string[]): CachedRead | Promise<CachedRead> {
    const result = this.cache.get<Snapshot | null>(key, load, tags ? { tags } : undefined);
    if (result instanceof Promise) return result.catch(toStoreError);
    return result;
  }
}

function mapProduct(p: Product | undefined): Snapshot | null {
  return p ? snapshot(p) : null;
}

function toStoreError(error: unknown): never {
  if (error instanceof LoaderError) throw new StoreUnavailableError(error.cause);
  throw error;
}
