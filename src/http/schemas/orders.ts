import { z } from '@hono/zod-openapi';
import { EXAMPLE_TIMESTAMP, line, Money } from './fields.ts';

/** Orders: what a customer sends to place one, and the order the service answers with. */

const ORDER_EXAMPLE = {
  id: 'Vq3Jm0cXh1c6pXW9aG2bYw',
  status: 'placed',
  customer: { name: 'Ada Lovelace', email: 'ada@example.org' },
  items: [
    {
      productId: 42,
      sku: 'ROSE-RED-12',
      name: 'Twelve red roses',
      quantity: 2,
      unitPrice: { amount: 4659, currency: 'EUR' },
      lineTotal: { amount: 9318, currency: 'EUR' },
    },
  ],
  total: { amount: 9318, currency: 'EUR' },
  createdAt: EXAMPLE_TIMESTAMP,
};

export const OrderIdParam = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{22}$/, 'not an order id')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'Vq3Jm0cXh1c6pXW9aG2bYw' }),
});

export const NewOrder = z
  .object({
    customer: z.object({ name: line(1, 200), email: z.email().max(254) }).strict(),
    items: z
      .array(
        z
          .object({
            productId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
            quantity: z.number().int().min(1).max(1_000),
          })
          .strict(),
      )
      .min(1)
      .max(100)
      // One line per product: merged lines could pass the per-line quantity cap many times over.
      .refine((items) => new Set(items.map((i) => i.productId)).size === items.length, 'one line per product')
      .openapi({ description: 'One line per product (a productId repeated is a 400).' }),
  })
  .strict()
  .openapi('NewOrder', {
    example: { customer: { name: 'Ada Lovelace', email: 'ada@example.org' }, items: [{ productId: 42, quantity: 2 }] },
  });

export const OrderLine = z.object({
  productId: z.number().int(),
  sku: z.string(),
  name: z.string(),
  quantity: z.number().int(),
  unitPrice: Money,
  lineTotal: Money,
});
export const Order = z
  .object({
    id: z.string(),
    status: z.literal('placed'),
    customer: z.object({ name: z.string(), email: z.string() }),
    items: z.array(OrderLine),
    total: Money,
    createdAt: z.string(),
  })
  .openapi('Order', { example: ORDER_EXAMPLE });

export const IdempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, '1 to 255 visible ASCII characters')
    .optional()
    // The name must be the key above (lower case, as Hono reads headers): another spelling makes /openapi.json fail with 'Conflicting names'.
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description: 'Makes a retry safe: the same key and body return the first order.',
      example: '6f1c0e1a-3b7e-4c55-9d0a-2a4f1f1f9b10',
    }),
});
