import { z } from '@hono/zod-openapi';
import { shopCachePolicies } from '../shop/cache-policies.ts';
import { MAX_MONEY_AMOUNT, PRODUCT_SORTS } from '../shop/types.ts';

/**
 * Request and response schemas. The same objects validate requests and generate
 * /openapi.json, so the document cannot drift from what the service accepts.
 */

export const MAX_PAGE_SIZE = 100;
export const MAX_PAGE = 10_000;
export const MAX_PRICE = MAX_MONEY_AMOUNT;
export const MAX_POPULAR = 50;

const STAMP = '2026-01-05T09:30:00.000Z';
export const PRODUCT_EXAMPLE = {
  id: 42,
  sku: 'ROSE-RED-12',
  slug: 'twelve-red-roses',
  name: 'Twelve red roses',
  description: 'Long-stemmed, cut this morning.',
  category: { slug: 'roses', name: 'Roses' },
  price: { amount: 4659, currency: 'EUR' },
  stock: 40,
  attributes: { color: 'red', stems: 12 },
  createdAt: STAMP,
  updatedAt: STAMP,
};
export const CATEGORY_EXAMPLE = {
  slug: 'roses',
  name: 'Roses',
  description: 'Garden and long-stemmed roses.',
  productCount: 38,
  createdAt: STAMP,
  updatedAt: STAMP,
};
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
  createdAt: STAMP,
};

const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'lowercase letters, digits and dashes, at most 64');
const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,12}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const boolString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const currency = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. EUR');
/** Printable text: control characters are refused rather than stored. */
const CONTROL_CHARACTERS = /[\p{Cc}\p{Cs}]/u;
// A refinement, not a regex pattern: OpenAPI patterns have no unicode flag, so the document would carry a broken one.
// The same rule for the document, as a pattern without the unicode flag (C0, DEL and C1 are \p{Cc}).
const PRINTABLE = '^[^\\u0000-\\u001F\\u007F-\\u009F]*$';
const PRINTABLE_NOT_BLANK = '^[^\\u0000-\\u001F\\u007F-\\u009F]*\\S[^\\u0000-\\u001F\\u007F-\\u009F]*$';
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'must not contain control characters')
    .openapi({ pattern: PRINTABLE });
const line = (min: number, max: number) =>
  text(max).min(min).regex(/\S/, 'must not be blank').openapi({ pattern: PRINTABLE_NOT_BLANK });

export const Money = z
  .object({ amount: z.number().int().min(0).max(MAX_PRICE), currency })
  .openapi('Money', { example: { amount: 4659, currency: 'EUR' } });

// propertyNames is JSON Schema 2020-12 (so OpenAPI 3.1) but not in the generator's 3.0-shaped metadata type.
const ATTRIBUTES_DOC = { maxProperties: 20, propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]{0,39}$' } };
const attributeValue = z.union([text(200), z.number().finite(), z.boolean()]);
export const Attributes = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/), attributeValue)
  .refine((a) => Object.keys(a).length <= 20, 'at most 20 attributes')
  .openapi('Attributes', ATTRIBUTES_DOC);

export const Product = z
  .object({
    id: z.number().int(),
    sku: z.string(),
    slug: z.string(),
    name: z.string(),
    description: z.string(),
    category: z.object({ slug: z.string(), name: z.string() }),
    price: Money,
    stock: z.number().int(),
    attributes: Attributes,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Product', { example: PRODUCT_EXAMPLE });

export const Category = z
  .object({
    slug: z.string(),
    name: z.string(),
    description: z.string(),
    productCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Category', { example: CATEGORY_EXAMPLE });

export const ProductPage = z
  .object({ items: z.array(Product), page: z.number().int(), limit: z.number().int(), total: z.number().int() })
  .openapi('ProductPage', { example: { items: [PRODUCT_EXAMPLE], page: 1, limit: 24, total: 1 } });

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

export const ProductIdParam = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
    .transform(Number)
    .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER))
    .openapi({ param: { name: 'id', in: 'path' }, example: '42', type: 'string', pattern: '^[1-9]\\d{0,15}$' }),
});

export const SlugParam = z.object({ slug: slug.openapi({ param: { name: 'slug', in: 'path' }, example: 'roses' }) });

/** Unknown query parameters (cache busters, utm_*) are dropped, as a CDN would: never an error, never a cache key. */
export const ProductQuery = z
  .object({
    category: slug.optional(),
    q: line(1, 200).optional().openapi({ description: 'Words searched in name and description (prefix match).' }),
    // Documented as the integers they are (with their bounds), not as the strings the query carries them in.
    minPrice: intString(0, MAX_PRICE).optional().openapi({
      type: 'integer',
      minimum: 0,
      maximum: MAX_PRICE,
      description: 'Minor units (cents). Must not exceed maxPrice when both are given (400 otherwise).',
    }),
    maxPrice: intString(0, MAX_PRICE).optional().openapi({
      type: 'integer',
      minimum: 0,
      maximum: MAX_PRICE,
      description: 'Minor units (cents). Must not be below minPrice when both are given (400 otherwise).',
    }),
    inStock: boolString.optional().openapi({
      type: 'string',
      enum: ['true', 'false', '1', '0'],
      description: 'Only products in stock (true, 1) or out of stock (false, 0).',
    }),
    sort: z.enum(PRODUCT_SORTS).default('name'),
    page: intString(1, MAX_PAGE).default(1).openapi({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 1 }),
    limit: intString(1, MAX_PAGE_SIZE)
      .default(24)
      .openapi({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 24 }),
  })
  .refine((q) => q.minPrice === undefined || q.maxPrice === undefined || q.minPrice <= q.maxPrice, {
    message: 'minPrice must not exceed maxPrice',
    path: ['minPrice'],
  });

export const PopularQuery = z.object({
  limit: intString(1, MAX_POPULAR)
    .default(10)
    .openapi({ type: 'integer', minimum: 1, maximum: MAX_POPULAR, default: 10 }),
});

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

export const NewProduct = z
  .object({
    sku: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/),
    slug: slug.optional(),
    name: line(1, 200),
    description: text(5_000).optional(),
    category: slug,
    price: Money,
    stock: z.number().int().min(0).max(1_000_000),
    attributes: Attributes.optional(),
  })
  .strict()
  .openapi('NewProduct', {
    example: {
      sku: 'ROSE-RED-12',
      name: 'Twelve red roses',
      category: 'roses',
      price: { amount: 4659, currency: 'EUR' },
      stock: 40,
    },
  });

export const ProductPatch = z
  .object({
    name: line(1, 200).optional(),
    description: text(5_000).optional(),
    category: slug.optional(),
    price: Money.optional(),
    stock: z.number().int().min(0).max(1_000_000).optional(),
    attributes: Attributes.optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change')
  .openapi('ProductPatch', { minProperties: 1, example: { price: { amount: 3990, currency: 'EUR' }, stock: 12 } });

export const NewCategory = z
  .object({ slug, name: line(1, 100), description: text(2_000).optional() })
  .strict()
  .openapi('NewCategory', { example: { slug: 'tulips', name: 'Tulips' } });
export const CategoryPatch = z
  .object({ name: line(1, 100).optional(), description: text(2_000).optional() })
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change')
  .openapi('CategoryPatch', { minProperties: 1, example: { description: 'Cut tulips, in season from January' } });

/** The cache prefixes the shop registers: anything else is refused, so the document names them. */
export const CACHE_PREFIXES = shopCachePolicies().map((p) => p.name) as [string, ...string[]];
const cachePrefix = z.enum(CACHE_PREFIXES);

export const CacheInspectQuery = z.object({
  key: z.string().min(1).max(512).openapi({ example: 'product:42', description: 'prefix:parts' }),
});
export const CacheInvalidateBody = z
  .object({
    keys: z
      .array(z.object({ prefix: cachePrefix, parts: z.array(z.union([z.string().max(256), z.number()])).max(16) }))
      .min(1)
      .max(1_000)
      .optional(),
    prefixes: z.array(cachePrefix).min(1).max(32).optional(),
    tags: z
      .array(z.string().regex(/^[a-z][a-z0-9-]{0,31}:[A-Za-z0-9:*_-]{1,200}$/))
      .min(1)
      .max(100)
      .optional(),
  })
  .strict()
  // Stated in the document as minProperties 1 with each list non-empty.
  .refine(
    (b) => (b.keys?.length ?? 0) + (b.prefixes?.length ?? 0) + (b.tags?.length ?? 0) > 0,
    'name at least one key, prefix or tag',
  )
  .openapi('CacheInvalidation', { minProperties: 1, example: { keys: [{ prefix: 'product', parts: [42] }] } });

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
export const problemContent = (description: string, schema: z.ZodType = ProblemDetails) => ({
  content: { 'application/problem+json': { schema } },
  description,
});
