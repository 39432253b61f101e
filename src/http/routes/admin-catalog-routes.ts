import { createRoute } from '@hono/zod-openapi';
import type { CatalogService } from '../../shop/catalog-service.ts';
import type { ShopApp } from '../app-env.ts';
import { sent } from '../app-env.ts';
import { sendJson } from '../json-response.ts';
import {
  Category,
  CategoryPatch,
  jsonContent,
  NewCategory,
  NewProduct,
  Product,
  ProductIdParam,
  ProductPatch,
  problemContent,
  SlugParam,
} from '../schemas.ts';

const tags = ['admin'];
const security = [{ adminToken: [] }];
const authProblems = { 401: problemContent('No admin token'), 403: problemContent('Wrong admin token') };

/** Catalogue administration. Each write returns after the cache has dropped what it changed, on every instance. */
export function registerAdminCatalogRoutes(app: ShopApp, catalog: CatalogService): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/products',
      tags,
      security,
      summary: 'Create a product',
      request: { body: { ...jsonContent(NewProduct, 'The product'), required: true } },
      responses: {
        201: jsonContent(Product, 'Created'),
        400: problemContent('Invalid product'),
        409: problemContent('SKU or slug taken'),
        422: problemContent('Unknown category'),
        ...authProblems,
      },
    }),
    async (c) => sent(sendJson(c, await catalog.createProduct(c.req.valid('json')), 201)),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/products/{id}',
      tags,
      security,
      summary: 'Change price, stock, name, description, category or attributes',
      request: { params: ProductIdParam, body: { ...jsonContent(ProductPatch, 'Fields to change'), required: true } },
      responses: {
        200: jsonContent(Product, 'Updated'),
        400: problemContent('Invalid change'),
        404: problemContent('No such product'),
        422: problemContent('Unknown category'),
        ...authProblems,
      },
    }),
    async (c) => sent(sendJson(c, await catalog.updateProduct(c.req.valid('param').id, c.req.valid('json')))),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/admin/products/{id}',
      tags,
      security,
      summary: 'Delete a product',
      request: { params: ProductIdParam },
      responses: { 204: { description: 'Deleted' }, 404: problemContent('No such product'), ...authProblems },
    }),
    async (c) => {
      await catalog.deleteProduct(c.req.valid('param').id);
      return sent(c.body(null, 204));
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/categories',
      tags,
      security,
      summary: 'Create a category',
      request: { body: { ...jsonContent(NewCategory, 'The category'), required: true } },
      responses: {
        201: jsonContent(Category, 'Created'),
        400: problemContent('Invalid category'),
        409: problemContent('Slug taken'),
        ...authProblems,
      },
    }),
    async (c) => sent(sendJson(c, await catalog.createCategory(c.req.valid('json')), 201)),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/categories/{slug}',
      tags,
      security,
      summary: 'Rename or describe a category',
      request: { params: SlugParam, body: { ...jsonContent(CategoryPatch, 'Fields to change'), required: true } },
      responses: {
        200: jsonContent(Category, 'Updated'),
        400: problemContent('Invalid change'),
        404: problemContent('No such category'),
        ...authProblems,
      },
    }),
    async (c) => sent(sendJson(c, await catalog.updateCategory(c.req.valid('param').slug, c.req.valid('json')))),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/admin/categories/{slug}',
      tags,
      security,
      summary: 'Delete an empty category',
      request: { params: SlugParam },
      responses: {
        204: { description: 'Deleted' },
        404: problemContent('No such category'),
        409: problemContent('Category still has products'),
        ...authProblems,
      },
    }),
    async (c) => {
      await catalog.deleteCategory(c.req.valid('param').slug);
      return sent(c.body(null, 204));
    },
  );
}
