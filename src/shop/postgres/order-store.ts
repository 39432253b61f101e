import { createHash, randomBytes } from 'node:crypto';
import { IdempotencyMismatchError, InsufficientStockError, type StockShortage, UnprocessableError } from '../errors.ts';
import type { PlacedOrder } from '../order-repository.ts';
import type { OrderStore } from '../store.ts';
import { MAX_MONEY_AMOUNT, type NewOrder, type Order } from '../types.ts';
import { isUniqueViolation, type Queryable } from './pool.ts';
import type { PostgresRunner } from './runner.ts';

interface OrderRow {
  id: string;
  customer_name: string;
  customer_email: string;
  total_minor: number;
  currency: string;
  status: 'placed';
  created_at: Date;
}

interface LineRow {
  product_id: number;
  sku: string;
  name: string;
  quantity: number;
  unit_price_minor: number;
}

interface StockRow {
  id: number;
  sku: string;
  name: string;
  stock: number;
  price_minor: number;
  currency: string;
}

async function findOrder(q: Queryable, id: string): Promise<Order | undefined> {
  const { rows } = await q.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) return undefined;
  const lines = await q.query<LineRow>(
    'SELECT product_id, sku, name, quantity, unit_price_minor FROM order_items WHERE order_id = $1 ORDER BY position',
    [id],
  );
  return {
    id: row.id,
    status: row.status,
    customer: { name: row.customer_name, email: row.customer_email },
    items: lines.rows.map((l) => ({
      productId: l.product_id,
      sku: l.sku,
      name: l.name,
      quantity: l.quantity,
      unitPrice: { amount: l.unit_price_minor, currency: row.currency },
      lineTotal: { amount: l.unit_price_minor * l.quantity, currency: row.currency },
    })),
    total: { amount: row.total_minor, currency: row.currency },
    createdAt: row.created_at.toISOString(),
  };
}

/** An order placed (or found placed) under an Idempotency-Key already recorded. */
async function replay(q: Queryable, key: string, requestHash: string): Promise<PlacedOrder | undefined> {
  const { rows } = await q.query<{ request_hash: string; order_id: string }>(
    'SELECT request_hash, order_id FROM idempotency_keys WHERE key = $1',
    [key],
  );
  const seen = rows[0];
  if (!seen) return undefined;
  if (seen.request_hash !== requestHash) throw new IdempotencyMismatchError();
  return { order: (await findOrder(q, seen.order_id))!, created: false };
}

/** The price or currency of a product changed between the order's read and its stock update: read again. */
class PriceMovedError extends Error {
  // Counted with the conflicts (as a serialization failure would be), and re-run as one.
  readonly code = '40001';
}

/** Bound on re-running an order whose prices moved under it, or that lost a deadlock. */
const MAX_ATTEMPTS = 3;

/**
 * Orders on PostgreSQL, at isolation level READ COMMITTED. The products are read without a
 * lock (an order for stock that is plainly gone fails at once, never queueing behind the
 * orders that emptied it); the order and its lines are written; the stock is decremented last
 * by one conditional UPDATE per product, in id order, `… WHERE stock >= quantity AND price and
 * currency unchanged`. Under READ COMMITTED a concurrent update of the row makes PostgreSQL
 * wait for its lock and re-check that condition on the newest version, so stock never goes
 * below zero whatever the number of instances (the CHECK (stock >= 0) stands behind it), and
 * the row lock is held only from that UPDATE to COMMIT. Whenever an UPDATE matches nothing,
 * the whole transaction rolls back: 409 when the stock is short, a re-run when a price moved.
 * Two requests racing with one Idempotency-Key are serialized by a transaction-scoped advisory
 * lock on the key, taken first: the second waits for the first to end and answers with its order
 * (or, when the first was refused, decides for itself). The key is also the primary key of
 * idempotency_keys, so should that lock ever be bypassed the second's INSERT fails and it replays.
 */
export class PostgresOrderStore implements OrderStore {
  constructor(private readonly db: PostgresRunner) {}

  find(id: string): Promise<Order | undefined> {
    return this.db.query('find_order', (q) => findOrder(q, id));
  }

  async place(input: NewOrder, idempotencyKey?: string): Promise<PlacedOrder> {
    const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction('place_order', (q) => placeIn(q, input, requestHash, idempotencyKey));
      } catch (error) {
        if (idempotencyKey !== undefined && isUniqueViolation(error)) {
          // Another request with this key committed first: answer as it did.
          const earlier = await this.db.query('place_order', (q) => replay(q, idempotencyKey, requestHash));
          if (earlier) return earlier;
        }
        if (attempt < MAX_ATTEMPTS && isRetryable(error)) continue;
        throw error;
      }
    }
  }
}

async function placeIn(
  q: Queryable,
  input: NewOrder,
  requestHash: string,
  idempotencyKey: string | undefined,
): Promise<PlacedOrder> {
  if (idempotencyKey !== undefined) {
    // Claim the key before anything else: a second request with it waits here until the first
    // commits or rolls back, then replays its order. Checking without the claim let the second
    // read the stock the first had just taken and answer 409 beside the first one's 201. The
    // lock is taken before any row lock, so it cannot join a deadlock cycle.
    await q.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [idempotencyKey]);
    const earlier = await replay(q, idempotencyKey, requestHash);
    if (earlier) return earlier;
  }
  const quantities = new Map<number, number>();
  for (const item of input.items) quantities.set(item.productId, (quantities.get(item.productId) ?? 0) + item.quantity);
  const ids = [...quantities.keys()];
  const read = await q.query<StockRow>(
    'SELECT id, sku, name, stock, price_minor, currency FROM products WHERE id = ANY($1::bigint[])',
    [ids],
  );
  const byId = new Map(read.rows.map((r) => [r.id, r]));
  const products = ids.map((id) => ({ id, row: byId.get(id) }));
  const unknown = products.filter((p) => !p.row).map((p) => p.id);
  if (unknown.length > 0) throw new UnprocessableError('some products do not exist', { unknownProductIds: unknown });
  const currencies = new Set(products.map((p) => p.row!.currency));
  if (currencies.size > 1)
    throw new UnprocessableError('an order cannot mix currencies', { currencies: [...currencies] });
  const total = products.reduce((sum, p) => sum + p.row!.price_minor * quantities.get(p.id)!, 0);
  if (total > MAX_MONEY_AMOUNT)
    throw new UnprocessableError('the order total exceeds the largest amount', { maxTotal: MAX_MONEY_AMOUNT });
  const shortages: StockShortage[] = [];
  for (const { id, row } of products) {
    const requested = quantities.get(id)!;
    if (row!.stock < requested) shortages.push({ productId: id, requested, available: row!.stock });
  }
  if (shortages.length > 0) throw new InsufficientStockError(shortages);

  const id = randomBytes(16).toString('base64url');
  const now = new Date().toISOString();
  const currency = products[0]!.row!.currency;
  await q.query(
    `WITH placed AS (
       INSERT INTO orders (id, customer_name, customer_email, total_minor, currency, status, created_at)
       VALUES ($1, $2, $3, $4, $5, 'placed', $6) RETURNING id
     )
     INSERT INTO order_items (order_id, position, product_id, sku, name, quantity, unit_price_minor)
     SELECT placed.id, t.position - 1, t.product_id, t.sku, t.name, t.quantity, t.price
     FROM placed, unnest($7::bigint[], $8::text[], $9::text[], $10::int[], $11::int[]) WITH ORDINALITY
       AS t(product_id, sku, name, quantity, price, position)`,
    [
      id,
      input.customer.name,
      input.customer.email,
      total,
      currency,
      now,
      products.map((p) => p.id),
      products.map((p) => p.row!.sku),
      products.map((p) => p.row!.name),
      products.map((p) => quantities.get(p.id)!),
      products.map((p) => p.row!.price_minor),
    ],
  );
  if (idempotencyKey !== undefined)
    await q.query('INSERT INTO idempotency_keys (key, request_hash, order_id, created_at) VALUES ($1, $2, $3, $4)', [
      idempotencyKey,
      requestHash,
      id,
      now,
    ]);
  // Last, in id order (two orders lock shared products in the same order): the row locks live until COMMIT.
  for (const { id: productId, row } of [...products].sort((a, b) => a.id - b.id)) {
    const quantity = quantities.get(productId)!;
    const updated = await q.query(
      `UPDATE products SET stock = stock - $1, updated_at = now()
       WHERE id = $2 AND stock >= $1 AND price_minor = $3 AND currency = $4`,
      [quantity, productId, row!.price_minor, row!.currency],
    );
    if (updated.rowCount === 1) continue;
    const current = await q.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [productId]);
    const available = current.rows[0]?.stock ?? 0;
    if (available < quantity) throw new InsufficientStockError([{ productId, requested: quantity, available }]);
    throw new PriceMovedError();
  }
  const order: Order = {
    id,
    status: 'placed',
    customer: { name: input.customer.name, email: input.customer.email },
    items: products.map(({ id: productId, row }) => {
      const quantity = quantities.get(productId)!;
      return {
        productId,
        sku: row!.sku,
        name: row!.name,
        quantity,
        unitPrice: { amount: row!.price_minor, currency },
        lineTotal: { amount: row!.price_minor * quantity, currency },
      };
    }),
    total: { amount: total, currency },
    createdAt: now,
  };
  return { order, created: true };
}

/** A price that moved, a deadlock or a serialization failure: nothing was written, the order may run again. */
function isRetryable(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === '40P01' || error.code === '40001');
}
