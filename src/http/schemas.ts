import { z } from '@hono/zod-openapi';
import { PRODUCT_SORTS } from '../shop/types.ts';

/**
 * Request and response schemas. The same objects validate requests and generate
 * /openapi.json, so the document cannot drift from what the service accepts.
 */

export const MAX_PAGE_SIZE = 100;
export const MAX_PAGE = 10_000;
export const MAX_PRICE = 100_000_000;
export const MAX_POPULAR = 50;

const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'lowercase letters, digits and dashes, at most 64');
const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,12}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const boolString = z.enum(['true', 'false']).transform((v) => v === 'true');
const currency = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. EUR');
/** Printable text: control characters are refused rather than stored. */
const CONTROL_CHARACTERS = /[\p{Cc}\p{Cs}]/u;
// A refinement, not a regex pattern: OpenAPI patterns have no unicode flag, so the document would carry a broken one.
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'must not contain control characters');
const line = (min: number, max: number) => text(max).min(min).regex(/\S/, 'must not be blank');

export const Money = z.object({ amount: z.number().int().min(0).max(MAX_PRICE), currency }).openapi('Money');

const attributeValue = z.union([text(200), z.number().finite(), z.boolean()]);
export const Attributes = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/), attributeValue)
  .refine((a) => Object.keys(a).length <= 20, 'at most 20 attributes')
  .openapi('Attributes');

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
  .openapi('Product');

export const Category = z
  .object({
    slug: z.string(),
    name: z.string(),
    description: z.string(),
    productCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Category');

export const ProductPage = z
  .object({ items: z.array(Product), page: z.number().int(), limit: z.number().int(), total: z.number().int() })
  .openapi('ProductPage');

export const ProblemDetails = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ in: z.string(), name: z.string(), reason: z.string() })).optional(),
  })
  .passthrough()
  .openapi('ProblemDetails');

export const ProductIdParam = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
    .transform(Number)
    .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER))
    .openapi({ param: { name: 'id', in: 'path' }, example: '42', type: 'string' }),
});

export const SlugParam = z.object({ slug: slug.openapi({ param: { name: 'slug', in: 'path' }, example: 'roses' }) });

export const ProductQuery = z
  .object({
    category: slug.optional(),
    q: line(1, 200).optional().openapi({ description: 'Words searched in name and description (prefix match).' }),
    // Documented as the integers they are (with their bounds), not as the strings the query carries them in.
    minPrice: intString(0, MAX_PRICE)
      .optional()
      .openapi({ type: 'integer', minimum: 0, maximum: MAX_PRICE, description: 'Minor units (cents).' }),
    maxPrice: intString(0, MAX_PRICE)
      .optional()
      .openapi({ type: 'integer', minimum: 0, maximum: MAX_PRICE, description: 'Minor units (cents).' }),
    inStock: boolString.optional().openapi({ type: 'string', enum: ['true', 'false'] }),
    sort: z.enum(PRODUCT_SORTS).default('name'),
    page: intString(1, MAX_PAGE).default(1).openapi({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 1 }),
    limit: intString(1, MAX_PAGE_SIZE)
      .default(24)
      .openapi({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 24 }),
  })
  .strict()
  .refine((q) => q.minPrice === undefined || q.maxPrice === undefined || q.minPrice <= q.maxPrice, {
    message: 'minPrice must not exceed maxPrice',
    path: ['minPrice'],
  });

export const PopularQuery = z
  .object({
    limit: intString(1, MAX_POPULAR)
      .default(10)
      .openapi({ type: 'integer', minimum: 1, maximum: MAX_POPULAR, default: 10 }),
  })
  .strict();

export const OrderIdParam = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{22}$/, 'not an order id')
    .openapi({ param: { name: 'id', in: 'path' } }),
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
      .max(100),
  })
  .strict()
  .openapi('NewOrder');

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
  .openapi('Order');

export const IdempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, '1 to 255 visible ASCII characters')
    .optional()
    // The name must be the key above (lower case, as Hono reads headers): another spelling makes /openapi.json fail with 'Conflicting names'.
    .openapi({ param: { name: 'idempotency-key', in: 'header' } }),
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
  .openapi('NewProduct');

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
  .openapi('ProductPatch');

export const NewCategory = z
  .object({ slug, name: line(1, 100), description: text(2_000).optional() })
  .strict()
  .openapi('NewCategory');
export const CategoryPatch = z
  .object({ name: line(1, 100).optional(), description: text(2_000).optional() })
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change')
  .openapi('CategoryPatch');

export const CacheInspectQuery = z.object({ key: z.string().min(1).max(512) }).strict();
export const CacheInvalidateBody = z
  .object({
    keys: z
      .array(
        z.object({ prefix: z.string().max(32), parts: z.array(z.union([z.string().max(256), z.number()])).max(16) }),
      )
      .max(1_000)
      .optional(),
    prefixes: z.array(z.string().max(32)).max(32).optional(),
    tags: z
      .array(z.string().regex(/^[a-z][a-z0-9-]{0,31}:[A-Za-z0-9:*_-]{1,200}$/))
      .max(100)
      .optional(),
  })
  .strict()
  .refine(
    (b) => (b.keys?.length ?? 0) + (b.prefixes?.length ?? 0) + (b.tags?.length ?? 0) > 0,
    'name at least one key, prefix or tag',
  )
  .openapi('CacheInvalidation');

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
export const problemContent = (description: string) => ({
  content: { 'application/problem+json': { schema: ProblemDetails } },
  description,
});
