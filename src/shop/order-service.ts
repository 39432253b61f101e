import type { CatalogService } from './catalog-service.ts';
import type { OrderRepository, PlacedOrder } from './order-repository.ts';
import type { NewOrder, Order } from './types.ts';

export class OrderService {
  constructor(
    private readonly orders: OrderRepository,
    private readonly catalog: CatalogService,
  ) {}

  /** Places the order in SQLite first; only then drops the cached stock it changed. */
  async place(input: NewOrder, idempotencyKey?: string): Promise<PlacedOrder> {
    const placed = this.orders.place(input, idempotencyKey);
    if (placed.created) {
      const changed = placed.order.items.map((l) => ({
        id: l.productId,
        categorySlug: this.catalog.categoryOf(l.productId) ?? '',
      }));
      await this.catalog.stockChanged(changed);
    }
    return placed;
  }

  find(id: string): Order | undefined {
    return this.orders.find(id);
  }
}
