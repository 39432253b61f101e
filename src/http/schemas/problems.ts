import { z } from '@hono/zod-openapi';

/** The RFC 9457 problem bodies the service answers errors with. */

const problemFields = {
  type: z
    .string()
    .openapi({ description: 'A relative URI naming the kind of problem', example: '/problems/not-found' }),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string().optional(),
};

/** Any problem: 401, 403, 404, 405, 413, 415, 500, 503. */
export const ProblemDetails = z.object(problemFields).openapi('Problem', {
  description: 'RFC 9457 problem details',
  example: { type: '/problems/not-found', title: 'Not found', status: 404, detail: 'product 42 not found' },
});

export const FieldError = z
  .object({
    in: z.enum(['path', 'query', 'body', 'header']),
    name: z.string().openapi({ description: 'Dotted path of the field, e.g. items.0.quantity' }),
    reason: z.string(),
  })
  .openapi('FieldError');

/** 400: `errors` names each offending field when `type` is /problems/validation. */
export const ValidationProblem = z
  .object({ ...problemFields, errors: z.array(FieldError).max(50).optional() })
  .openapi('ValidationProblem', {
    example: {
      type: '/problems/validation',
      title: 'Invalid request',
      status: 400,
      detail: '1 invalid body value(s)',
      errors: [{ in: 'body', name: 'items.0.quantity', reason: 'Too big: expected number to be <=1000' }],
    },
  });

export const StockShortage = z
  .object({ productId: z.number().int(), requested: z.number().int(), available: z.number().int() })
  .openapi('StockShortage');

export const InsufficientStockProblem = z
  .object({ ...problemFields, items: z.array(StockShortage).min(1) })
  .openapi('InsufficientStockProblem', {
    example: {
      type: '/problems/insufficient-stock',
      title: 'Not enough stock',
      status: 409,
      detail: 'not enough stock for 7',
      items: [{ productId: 7, requested: 3, available: 1 }],
    },
  });

export const ConflictProblem = z
  .object({ ...problemFields, productCount: z.number().int().optional() })
  .openapi('ConflictProblem', {
    example: { type: '/problems/conflict', title: 'Conflict', status: 409, detail: 'UNIQUE constraint failed' },
  });

export const UnprocessableOrderProblem = z
  .object({
    ...problemFields,
    unknownProductIds: z.array(z.number().int()).optional().openapi({ description: 'Products that do not exist' }),
    currencies: z.array(z.string()).optional().openapi({ description: 'The currencies an order mixed' }),
    maxTotal: z.number().int().optional().openapi({ description: 'The largest total an order may have' }),
  })
  .openapi('UnprocessableOrderProblem', {
    example: {
      type: '/problems/unprocessable',
      title: 'Cannot be processed',
      status: 422,
      detail: 'some products do not exist',
      unknownProductIds: [999999],
    },
  });

export const UnprocessableProblem = z
  .object({ ...problemFields, field: z.string().optional() })
  .openapi('UnprocessableProblem', {
    example: {
      type: '/problems/unprocessable',
      title: 'Cannot be processed',
      status: 422,
      detail: 'unknown category "tulips"',
      field: 'category',
    },
  });
