import { z } from '@hono/zod-openapi';
import { PRODUCT_SORTS } from '../../shop/types.ts';
import { boolString, EXAMPLE_TIMESTAMP, intString, line, MAX_PRICE, Money, slug, text } from './fields.ts';

/** Products and categories: what the catalogue answers, what it is asked, and what an admin sends it. */

export const MAX_PAGE_SIZE = 100;
export const MAX_PAGE = 10_000;
export const MAX_POPULAR = 50;

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
  createdAt: EXAMPLE_TIMESTAMP,
  updatedAt: EXAMPLE_TIMESTAMP,
};
export const CATEGORY_EXAMPLE = {
  slug: 'roses',
  name: 'Roses',
  description: 'Garden and long-stemmed roses.',
  productCount: 38,
  createdAt: EXAMPLE_TIMESTAMP,
  updatedAt: EXAMPLE_TIMESTAMP,
};

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
