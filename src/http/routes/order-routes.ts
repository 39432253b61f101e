import { createRoute } from '@hono/zod-openapi';
import type { OrderService } from '../../shop/order-service.ts';
import type { ShopApp } from '../app-env.ts';
import { sent } from '../app-env.ts';
import { sendJson } from '../json-response.ts';
import { problem as problemBody, problemResponse } from '../problem.ts';
import {
  IdempotencyHeader,
  InsufficientStockProblem,
  jsonContent,
  NewOrder,
  Order,
  OrderIdParam,
  UnprocessableOrderProblem,
} from '../schemas.ts';
import { ANY, headers, INVALID, JSON_BODY, PUBLIC_SECURITY, problem } from './contract.ts';

const tags = ['orders'];
const security = PUBLIC_SECURITY;

export function registerOrderRoutes(app: ShopApp, orders: OrderService): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/orders',
      operationId: 'placeOrder',
      tags,
      security,
      summary: 'Place an order',
      description:
        'Stock is checked and decremented in one transaction. One line per product; the total must fit Money (at most 100000000 minor units). Send an Idempotency-Key to make retries safe: a retry with the same key and body returns the first answer.',
      request: { headers: IdempotencyHeader, body: { ...jsonContent(NewOrder, 'The order'), required: true } },
      responses: {
        201: {
          ...jsonContent(Order, 'Placed (or replayed: see Idempotency-Replayed)'),
          headers: headers('Location', 'CacheControl', 'IdempotencyReplayed'),
        },
        ...JSON_BODY,
        409: problem('Not enough stock; `items` names each short product', InsufficientStockProblem),
        422: problem(
          'Unknown products (`unknownProductIds`), mixed currencies, a total over the Money bound, or an Idempotency-Key reused with another body',
          UnprocessableOrderProblem,
        ),
        ...ANY,
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
      operationId: 'getOrder',
      tags,
      security,
      summary: 'One order, by its unguessable id',
      request: { params: OrderIdParam },
      responses: {
        200: { ...jsonContent(Order, 'The order'), headers: headers('CacheControl') },
        ...INVALID,
        404: problem('No such order'),
        ...ANY,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const order = await orders.find(id);
      if (!order) return sent(problemResponse(c, problemBody(404, 'not-found', 'Not found', 'order not found')));
      return sent(sendJson(c, order, 200, { 'cache-control': 'private, no-store' }));
    },
  );
}
