import { createRoute, z } from '@hono/zod-openapi';
import type { CatalogService } from '../../shop/catalog-service.ts';
import type { ShopApp } from '../app-env.ts';
import { hotGet } from '../app-env.ts';
import { CachedResponder } from '../cached-response.ts';
import {
  Category,
  jsonContent,
  PopularQuery,
  Product,
  ProductIdParam,
  ProductPage,
  ProductQuery,
  problemContent,
  SlugParam,
} from '../schemas.ts';

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

export function registerCatalogRoutes(
  app: ShopApp,
  catalog: CatalogService,
  responder: CachedResponder = new CachedResponder(),
): void {
  hotGet(
    app,
    createRoute({
      method: 'get',
      path: '/api/categories',
      tags,
      summary: 'All categories with their product counts',
      responses: {
        200: jsonContent(z.object({ items: z.array(Category) }), 'Categories'),
        304: { description: 'Not modified' },
      },
    }),
    (c) => responder.send(c, catalog.categories(), CACHE_CONTROL.categories, ''),
  );

  hotGet(
    app,
    createRoute({
      method: 'get',
      path: '/api/categories/{slug}',
      tags,
      summary: 'One category with its product count',
      request: { params: SlugParam },
      responses: {
        200: jsonContent(Category, 'The category'),
        304: { description: 'Not modified' },
        400: problemContent('Invalid slug'),
        404: problemContent('No such category'),
      },
    }),
    (c, { param: { slug } }) =>
      responder.send(c, catalog.category(slug), CACHE_CONTROL.categories, `category ${slug} not found`),
  );

  hotGet(
    app,
    createRoute({
      method: 'get',
      path: '/api/products',
      tags,
      summary: 'Catalogue pages and search',
      request: { query: ProductQuery },
      responses: {
        200: jsonContent(ProductPage, 'A page of products'),
        304: { description: 'Not modified' },
        400: problemContent('Invalid query'),
      },
    }),
    (c, { query }) => responder.send(c, catalog.products(query), CACHE_CONTROL.catalog, ''),
  );

  // Registered before /api/products/{id} so "popular" is never read as an id.
  hotGet(
    app,
    createRoute({
      method: 'get',
      path: '/api/products/popular',
      tags,
      summary: 'Best sellers, by units sold in placed orders',
      request: { query: PopularQuery },
      responses: {
        200: jsonContent(
          z.object({ items: z.array(z.object({ product: Product, unitsSold: z.number().int() })) }),
          'Best sellers',
        ),
        304: { description: 'Not modified' },
        400: problemContent('Invalid query'),
      },
    }),
    (c, { query }) => responder.send(c, catalog.popular(query.limit), CACHE_CONTROL.popular, ''),
  );

  hotGet(
    app,
    createRoute({
      method: 'get',
      path: '/api/products/{id}',
      tags,
      summary: 'One product',
      request: { params: ProductIdParam },
      responses: {
        200: jsonContent(Product, 'The product'),
        304: { description: 'Not modified' },
        400: problemContent('Not an id'),
        404: problemContent('No such product'),
      },
    }),
    (c, { param: { id } }) => responder.send(c, catalog.product(id), CACHE_CONTROL.product, `product ${id} not found`),
  );
}
