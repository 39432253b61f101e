import { createRoute } from '@hono/zod-openapi';
import type { OrderService } from '../../shop/order-service.ts';
import type { ShopApp } from '../app-env.ts';
import { sent } from '../app-env.ts';
import { sendJson } from '../json-response.ts';
import { problem, problemResponse } from '../problem.ts';
import { IdempotencyHeader, jsonContent, NewOrder, Order, OrderIdParam, problemContent } from '../schemas.ts';

const tags = ['orders'];

export function registerOrderRoutes(app: ShopApp, orders: OrderService): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/orders',
      tags,
      summary: 'Place an order',
      description:
        'Stock is checked and decremented in one transaction. Send an Idempotency-Key to make retries safe: a retry with the same key and body returns the first answer.',
      request: { headers: IdempotencyHeader, body: { ...jsonContent(NewOrder, 'The order'), required: true } },
      responses: {
        201: jsonContent(Order, 'Placed (or replayed: see Idempotency-Replayed)'),
        400: problemContent('Invalid order'),
        409: problemContent('Not enough stock; `items` names each short product'),
        413: problemContent('Body too large'),
        422: problemContent('Unknown products, mixed currencies, or an Idempotency-Key reused with another body'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const placed = await orders.place(body, key);
      return sent(
        sendJson(c, placed.order, 201, {
          location: `/api/orders/${placed.order.id}`,
          ...(placed.created ? {} : { 'idempotency-replayed': 'true' }),
        }),
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/orders/{id}',
      tags,
      summary: 'One order, by its unguessable id',
      request: { params: OrderIdParam },
      responses: {
        200: jsonContent(Order, 'The order'),
        400: problemContent('Not an order id'),
        404: problemContent('No such order'),
      },
    }),
    (c) => {
      const { id } = c.req.valid('param');
      const order = orders.find(id);
      if (!order) return sent(problemResponse(c, problem(404, 'not-found', 'Not found', 'order not found')));
      return sent(sendJson(c, order, 200, { 'cache-control': 'private, no-store' }));
    },
  );
}
