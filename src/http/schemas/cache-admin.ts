import { z } from '@hono/zod-openapi';
import { shopCachePolicies } from '../../shop/cache-policies.ts';

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
