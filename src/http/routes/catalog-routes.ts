import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { CachedRead, CatalogService } from '../../shop/catalog-service.ts';
import type { ProductQuery as ParsedProductQuery } from '../../shop/types.ts';
import type { ShopApp } from '../app-env.ts';
import { hotGet } from '../app-env.ts';
import { CachedResponder } from '../cached-response.ts';
import { pageLinks, totalOf } from '../page-links.ts';
import {
  CATEGORY_EXAMPLE,
  Category,
  jsonContent,
  PopularQuery,
  PRODUCT_EXAMPLE,
  Product,
  ProductIdParam,
  ProductPage,
  ProductQuery,
  SlugParam,
} from '../schemas.ts';
import { ANY, headers, INVALID, PUBLIC_SECURITY, problem } from './contract.ts';

/**
 * Cache-Control per route: short browser/CDN freshness with revalidation by ETag, because
 * stock and prices change by event and a client must not hold them long.
 */
export const CACHE_CONTROL = {
  product: 'public, max-age=5, stale-while-revalidate=30',
  categories: 'public, max-age=60, stale-while-revalidate=300',
  catalog: 'public, max-age=10, stale-while-revalidate=60',
  popular: 'public, max-age=30, stale-while-revalidate=120',
} as const;

const tags = ['catalogue'];
const security = PUBLIC_SECURITY;
const conditional = z.object({
  'if-none-match': z
    .string()
    .max(1024)
    .optional()
    .openapi({
      param: { name: 'if-none-match', in: 'header' },
      description: 'An ETag from an earlier answer: 304 when it still holds.',
      example: '"a1B2c3"',
    }),
});
const cached = headers('ETag', 'CacheControl', 'CacheStatus');
const ok = <T extends z.ZodType>(schema: T, description: string, extra = cached) => ({
  ...jsonContent(schema, description),
  headers: extra,
});
const notModified = { description: 'Not modified: the If-None-Match ETag still holds', headers: cached };

export function registerCatalogRoutes(
  app: ShopApp,
  catalog: CatalogService,
  responder: CachedResponder = new CachedResponder(),
  /**
   * Where the single-item routes are served and who answers them: app.ts keeps them off the
   * app-wide middleware, so their responder adds the edge headers itself.
   */
  single: { app: ShopApp; responder: CachedResponder } = { app, responder },
): void {
  hotGet(
    app,
    createRoute({
      method: 'get',
      path: '/api/categories',
      operationId: 'listCategories',
      tags,
      security,
      summary: 'All categories with their product counts',
      request: { headers: conditional },
      responses: {
        200: ok(
          z.object({ items: z.array(Category) }).openapi('CategoryList', { example: { items: [CATEGORY_EXAMPLE] } }),
          'Categories',
        ),
        304: notModified,
        ...ANY,
      },
    }),
    (c) => responder.send(c, catalog.categories(), CACHE_CONTROL.categories, ''),
  );

  hotGet(
    app,
    createRoute({
      method: 'get',
      path: '/api/categories/{slug}',
      operationId: 'getCategory',
      tags,
      security,
      summary: 'One category with its product count',
      request: { params: SlugParam, headers: conditional },
      responses: {
        200: ok(Category, 'The category'),
        304: notModified,
        ...INVALID,
        404: { ...problem('No such category'), headers: headers('CacheStatus') },
        ...ANY,
      },
    }),
    (c, { param: { slug } }) =>
      single.responder.sendItem(c, catalog.category(slug), CACHE_CONTROL.categories, 'category', slug),
    single.app,
  );

  hotGet(
    app,
    createRoute({
      method: 'get',
      path: '/api/products',
      operationId: 'listProducts',
      tags,
      security,
      summary: 'Catalogue pages and search',
      description:
        'Filters, search and paging. Unknown query parameters are ignored (and never part of a cache key). The Link header names the first, previous, next and last pages.',
      request: { query: ProductQuery, headers: conditional },
      responses: {
        200: ok(ProductPage, 'A page of products', headers('ETag', 'CacheControl', 'CacheStatus', 'Link')),
        304: notModified,
        ...INVALID,
        ...ANY,
      },
    }),
    (c, { query }) => {
      const read = catalog.products(query);
      if (read instanceof Promise) return read.then((r) => sendPage(c, responder, r, query));
      return sendPage(c, responder, read, query);
    },
  );

  // Registered before /api/products/{id} so "popular" is never read as an id.
  hotGet(
    app,
    createRoute({
      method: 'get',
      path: '/api/products/popular',
      operationId: 'listPopularProducts',
      tags,
      security,
      summary: 'Best sellers, by units sold in placed orders',
      request: { query: PopularQuery, headers: conditional },
      responses: {
        200: ok(
          z
            .object({ items: z.array(z.object({ product: Product, unitsSold: z.number().int() })) })
            .openapi('PopularProducts', { example: { items: [{ product: PRODUCT_EXAMPLE, unitsSold: 17 }] } }),
          'Best sellers',
        ),
        304: notModified,
        ...INVALID,
        ...ANY,
      },
    }),
    (c, { query }) => responder.send(c, catalog.popular(query.limit), CACHE_CONTROL.popular, ''),
  );

  hotGet(
    app,
    createRoute({
      method: 'get',
      path: '/api/products/{id}',
      operationId: 'getProduct',
      tags,
      security,
      summary: 'One product',
      request: { params: ProductIdParam, headers: conditional },
      responses: {
        200: ok(Product, 'The product'),
        304: notModified,
        ...INVALID,
        404: { ...problem('No such product'), headers: headers('CacheStatus') },
        ...ANY,
      },
    }),
    (c, { param: { id } }) => single.responder.sendItem(c, catalog.product(id), CACHE_CONTROL.product, 'product', id),
    single.app,
  );
}

/** A catalogue page with its Link header (from the page's own total, so it is as fresh as the page). */
function sendPage(
  c: Context,
  responder: CachedResponder,
  read: CachedRead,
  query: ParsedProductQuery,
): Response | Promise<Response> {
  const total = read.value ? totalOf(read.value.json) : undefined;
  const link = total === undefined ? undefined : { link: pageLinks(c.req.path, query, total) };
  return responder.send(c, read, CACHE_CONTROL.catalog, '', link);
}
