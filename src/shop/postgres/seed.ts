import { planSeed, type SeedOptions } from '../seed.ts';
import type { Queryable } from './pool.ts';

/**
 * Seeds an empty database with the same catalogue as SQLite (src/shop/seed.ts), in one
 * transaction of a few array-bound INSERTs. The caller holds the start-up advisory lock, so
 * of several instances starting together exactly one seeds and the others see it done.
 */
export async function seedIfEmpty(client: Queryable, options: SeedOptions): Promise<boolean> {
  const { rows } = await client.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM categories');
  if ((rows[0]?.n ?? 0) > 0) return false;
  const plan = planSeed(options);
  await client.query('BEGIN');
  try {
    // A large seed may take longer than one request's statement bound.
    await client.query('SET LOCAL statement_timeout = 0');
    const c = plan.categories;
    await client.query(
      `INSERT INTO categories (id, slug, name, description, created_at, updated_at)
       SELECT id, slug, name, description, at, at FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
         AS t(id, slug, name, description, at)`,
      [
        c.map((x) => x.id),
        c.map((x) => x.slug),
        c.map((x) => x.name),
        c.map((x) => x.description),
        c.map((x) => x.createdAt),
      ],
    );
    const p = plan.products;
    await client.query(
      `INSERT INTO products (id, sku, slug, name, description, category_id, price_minor, currency, stock, attributes, created_at, updated_at)
       SELECT id, sku, slug, name, description, category_id, price, 'EUR', stock, attributes::json, at, at
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[], $9::text[], $10::timestamptz[])
         AS t(id, sku, slug, name, description, category_id, price, stock, attributes, at)`,
      [
        p.map((x) => x.id),
        p.map((x) => x.sku),
        p.map((x) => x.slug),
        p.map((x) => x.name),
        p.map((x) => x.description),
        p.map((x) => x.categoryId),
        p.map((x) => x.price),
        p.map((x) => x.stock),
        p.map((x) => x.attributes),
        p.map((x) => x.createdAt),
      ],
    );
    const o = plan.orders;
    await client.query(
      `INSERT INTO orders (id, customer_name, customer_email, total_minor, currency, status, created_at)
       SELECT id, name, email, total, 'EUR', 'placed', at FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[])
         AS t(id, name, email, total, at)`,
      [
        o.map((x) => x.id),
        o.map((x) => x.customerName),
        o.map((x) => x.customerEmail),
        o.map((x) => x.total),
        o.map((x) => x.createdAt),
      ],
    );
    const lines = o.flatMap((order) => order.lines.map((l, position) => ({ ...l, orderId: order.id, position })));
    await client.query(
      `INSERT INTO order_items (order_id, position, product_id, sku, name, quantity, unit_price_minor)
       SELECT * FROM unnest($1::text[], $2::smallint[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::int[])`,
      [
        lines.map((l) => l.orderId),
        lines.map((l) => l.position),
        lines.map((l) => l.productId),
        lines.map((l) => l.sku),
        lines.map((l) => l.name),
        lines.map((l) => l.quantity),
        lines.map((l) => l.unitPrice),
      ],
    );
    // Ids were given explicitly: new rows continue after them.
    for (const table of ['categories', 'products'])
      await client.query(
        `SELECT setval(pg_get_serial_sequence('${table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM ${table}`,
      );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return true;
}
