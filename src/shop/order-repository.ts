import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './database.ts';
import { IdempotencyMismatchError, InsufficientStockError, type StockShortage, UnprocessableError } from './errors.ts';
import { MAX_MONEY_AMOUNT, type NewOrder, type Order } from './types.ts';

interface OrderRow {
  id: string;
  customer_name: string;
  customer_email: string;
  total_minor: number;
  currency: string;
  status: 'placed';
  created_at: string;
}

interface LineRow {
  product_id: number;
  sku: string;
  name: string;
  quantity: number;
  unit_price_minor: number;
}

export interface PlacedOrder {
  order: Order;
  /** False when an earlier request with the same Idempotency-Key placed it. */
  created: boolean;
}

/** Orders: placed in one write transaction, so stock never goes below zero, whatever the concurrency. */
export class OrderRepository {
  private readonly orderById;
  private readonly linesOf;
  private readonly stockOf;
  private readonly decrement;
  private readonly insertOrder;
  private readonly insertLine;
  private readonly idempotencyLookup;
  private readonly insertIdempotency;

  constructor(private readonly db: Db) {
    this.orderById = db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE id = ?');
    this.linesOf = db.prepare<[string], LineRow>(
      'SELECT product_id, sku, name, quantity, unit_price_minor FROM order_items WHERE order_id = ? ORDER BY rowid',
    );
    this.stockOf = db.prepare<
      [number],
      { id: number; sku: string; name: string; stock: number; price_minor: number; currency: string }
    >('SELECT id, sku, name, stock, price_minor, currency FROM products WHERE id = ?');
    this.decrement = db.prepare<[number, number, number]>(
      "UPDATE products SET stock = stock - ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? AND stock >= ?",
    );
    this.insertOrder = db.prepare(
      'INSERT INTO orders (id, customer_name, customer_email, total_minor, currency, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertLine = db.prepare(
      'INSERT INTO order_items (order_id, product_id, sku, name, quantity, unit_price_minor) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.idempotencyLookup = db.prepare<[string], { request_hash: string; order_id: string }>(
      'SELECT request_hash, order_id FROM idempotency_keys WHERE key = ?',
    );
    this.insertIdempotency = db.prepare(
      'INSERT INTO idempotency_keys (key, request_hash, order_id, created_at) VALUES (?, ?, ?, ?)',
    );
  }

  find(id: string): Order | undefined {
    const row = this.orderById.get(id);
    if (!row) return undefined;
    const lines = this.linesOf.all(id);
    return {
      id: row.id,
      status: row.status,
      customer: { name: row.customer_name, email: row.customer_email },
      items: lines.map((l) => ({
        productId: l.product_id,
        sku: l.sku,
        name: l.name,
        quantity: l.quantity,
        unitPrice: { amount: l.unit_price_minor, currency: row.currency },
        lineTotal: { amount: l.unit_price_minor * l.quantity, currency: row.currency },
      })),
      total: { amount: row.total_minor, currency: row.currency },
      createdAt: row.created_at,
    };
  }

  /**
   * Checks and decrements every line's stock inside one IMMEDIATE transaction (the write lock
   * is taken first, so no other process can decrement in between), or changes nothing.
   */
  place(input: NewOrder, idempotencyKey?: string): PlacedOrder {
    const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    return this.db
      .transaction((): PlacedOrder => {
        if (idempotencyKey !== undefined) {
          const seen = this.idempotencyLookup.get(idempotencyKey);
          if (seen) {
            if (seen.request_hash !== requestHash) throw new IdempotencyMismatchError();
            return { order: this.find(seen.order_id)!, created: false };
          }
        }
        const quantities = new Map<number, number>();
        for (const item of input.items)
          quantities.set(item.productId, (quantities.get(item.productId) ?? 0) + item.quantity);
        const products = [...quantities.keys()].map((id) => ({ id, row: this.stockOf.get(id) }));
        const unknown = products.filter((p) => !p.row).map((p) => p.id);
        if (unknown.length > 0)
          throw new UnprocessableError('some products do not exist', { unknownProductIds: unknown });
        const currencies = new Set(products.map((p) => p.row!.currency));
        if (currencies.size > 1)
          throw new UnprocessableError('an order cannot mix currencies', { currencies: [...currencies] });
        // Every line total and the total must fit the Money the API publishes (amount ≤ MAX_MONEY_AMOUNT).
        const expected = products.reduce((sum, p) => sum + p.row!.price_minor * quantities.get(p.id)!, 0);
        if (expected > MAX_MONEY_AMOUNT)
          throw new UnprocessableError('the order total exceeds the largest amount', { maxTotal: MAX_MONEY_AMOUNT });
        const shortages: StockShortage[] = [];
        for (const { id, row } of products) {
          const requested = quantities.get(id)!;
          if (row!.stock < requested) shortages.push({ productId: id, requested, available: row!.stock });
        }
        if (shortages.length > 0) throw new InsufficientStockError(shortages);
        const id = randomBytes(16).toString('base64url');
        const now = new Date().toISOString();
        let total = 0;
        for (const { id: productId, row } of products) {
          const quantity = quantities.get(productId)!;
          // The guard in the WHERE clause is the last line of defence; the check above already passed under the same lock.
          if (this.decrement.run(quantity, productId, quantity).changes !== 1)
            throw new InsufficientStockError([{ productId, requested: quantity, available: row!.stock }]);
          total += row!.price_minor * quantity;
        }
        const currency = products[0]!.row!.currency;
        this.insertOrder.run(id, input.customer.name, input.customer.email, total, currency, 'placed', now);
        for (const { id: productId, row } of products)
          this.insertLine.run(id, productId, row!.sku, row!.name, quantities.get(productId)!, row!.price_minor);
        if (idempotencyKey !== undefined) this.insertIdempotency.run(idempotencyKey, requestHash, id, now);
        return { order: this.find(id)!, created: true };
      })
      .immediate();
  }
}
