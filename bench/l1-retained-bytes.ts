/**
 * Honest bytes: heap actually retained per L1 entry against the size L1 accounts for it, for the
 * entries the service really stores (product pages, catalogue pages, search pages, read from a
 * seeded SQLite catalogue through the real CatalogService and cache), plus a product whose text
 * is not Latin-1 (two bytes per character in V8). Run with --expose-gc. Prints a JSON report.
 *
 *   node --expose-gc --import tsx bench/l1-retained-bytes.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { L1MemoryTier } from '../src/cache/l1-memory-tier.ts';
import { PrefixRegistry } from '../src/cache/prefix-registry.ts';
import { TwoTierCache } from '../src/cache/two-tier-cache.ts';
import { noopObserver } from '../src/cache/types.ts';
import { shopCachePolicies } from '../src/shop/cache-policies.ts';
import { CatalogService } from '../src/shop/catalog-service.ts';
import { openDatabase } from '../src/shop/database.ts';
import { seedIfEmpty } from '../src/shop/seed.ts';
import { SqliteStore } from '../src/shop/sqlite-store.ts';
import { unobserved } from '../src/shop/store-observer.ts';
import { PRODUCT_SORTS } from '../src/shop/types.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

export interface RetainedRow {
  kind: string;
  entries: number;
  measuredBytesPerEntry: number;
  accountedBytesPerEntry: number;
  /** accounted / measured: 1 is exact, < 1 means L1 holds more than it counts. */
  ratio: number;
}

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

export async function measureRetained(products = 5_000): Promise<{ rows: RetainedRow[]; fixedBytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'l1-bytes-'));
  const db = openDatabase(join(dir, 'shop.db'));
  seedIfEmpty(db, { products, orders: 0 });
  const repo = new SqliteStore(db, unobserved).catalog;
  const categories = (await repo.categories()).map((c) => c.slug);
  const words = ['rose', 'tulip', 'lily', 'red', 'white', 'bouquet', 'orchid', 'peony', 'sun', 'spring'];
  const rows: RetainedRow[] = [];
  let fixedBytes = 0;

  const measure = async (kind: string, count: number, read: (catalog: CatalogService, i: number) => unknown) => {
    const before0 = heap();
    const registry = new PrefixRegistry(shopCachePolicies());
    const l1 = new L1MemoryTier(
      { maxEntries: 200_000, maxBytes: 4 * 1024 ** 3, admission: 'lru', prefixBudgets: false },
      registry,
      noopObserver,
    );
    const cache = new TwoTierCache({
      registry,
      l1,
      observer: noopObserver,
      lockTtlMs: 2_000,
      lockWaitMs: 1_000,
      lockPollMs: 10,
      maxTags: 10_000,
      maxPendingInvalidations: 10_000,
    });
    const catalog = new CatalogService(repo, cache);
    // Warm up: statements prepared, TTL arrays of lru-cache allocated, code compiled.
    for (let i = 0; i < 50; i++) await read(catalog, 1_000_000 + i);
    l1.clear();
    const before = heap();
    fixedBytes = Math.max(fixedBytes, before - before0);
    const bytesBefore = l1.bytes;
    for (let i = 0; i < count; i++) await read(catalog, i);
    const after = heap();
    const entries = l1.size;
    const measured = (after - before) / entries;
    const accounted = (l1.bytes - bytesBefore) / entries;
    rows.push({
      kind,
      entries,
      measuredBytesPerEntry: Math.round(measured),
      accountedBytesPerEntry: Math.round(accounted),
      ratio: Number((accounted / measured).toFixed(3)),
    });
    // Keep everything reachable until measured.
    if (cache.status().l1.entries < 0) console.log(catalog);
  };

  await measure('product', products, (c, i) => c.product((i % products) + 1));
  await measure('catalog page (24 items)', 3_000, (c, i) =>
    c.products({
      category: categories[i % categories.length],
      sort: PRODUCT_SORTS[Math.floor(i / categories.length) % PRODUCT_SORTS.length]!,
      page: 1 + (Math.floor(i / (categories.length * 4)) % 10),
      limit: 24,
    }),
  );
  await measure('search page (24 items)', 3_000, (c, i) =>
    c.products({
      q: words[i % words.length],
      sort: 'name',
      page: 1 + (Math.floor(i / words.length) % 5),
      minPrice: Math.floor(i / (words.length * 5)),
      limit: 24,
    }),
  );
  // Names and descriptions outside Latin-1: V8 stores the JSON with two bytes per character.
  await repo.createCategory({ slug: 'wide', name: 'Fleurs – 花', description: 'Bouquets — 花束 🌸' });
  const wide: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const p = await repo.createProduct({
      sku: `WIDE-${i}`,
      name: `Bouquet 花束 ${i} 🌸`,
      description: `Sakura — 桜の花束、朝摘み。 Hand-tied in Kyōto, shipped the same day. №${i}`,
      category: 'wide',
      price: { amount: 4_900 + i, currency: 'EUR' },
      stock: 10,
      attributes: { stems: 12, colour: 'ピンク' },
    });
    wide.push(p.id);
  }
  await measure('product, non-Latin-1 text', wide.length, (c, i) => c.product(wide[i % wide.length]!));
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { rows, fixedBytes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await measureRetained();
  console.table(result.rows);
  console.log(JSON.stringify(result));
}
