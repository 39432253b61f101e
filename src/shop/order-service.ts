import type { CatalogService } from './catalog-service.ts';
import type { PlacedOrder } from './order-repository.ts';
import type { OrderStore } from './store.ts';
import type { NewOrder, Order } from './types.ts';

export class OrderService {
  constructor(
    private readonly orders: OrderStore,
    private readonly catalog: CatalogService,
  ) {}

  /** Places the order in the store first; only then drops the cached stock it changed. */
  async place(input: NewOrder, idempotencyKey?: string): Promise<PlacedOrder> {
    const placed = await this.orders.place(input, idempotencyKey);
    if (placed.created) {
      const changed = await Promise.all(
        placed.order.items.map(async (l) => ({
          id: l.productId,
          // The order is placed whatever happens here: a failed lookup still drops the product and unfiltered pages.
          categorySlug: (await this.catalog.categoryOf(l.productId).catch(() => undefined)) ?? '',
        })),
      );
      await this.catalog.stockChanged(changed);
    }
    return placed;
  }

  find(id: string): Promise<Order | undefined> {
    return this.orders.find(id);
  }
}
