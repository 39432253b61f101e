import { createRoute } from '@hono/zod-openapi';
import type { CatalogService } from '../../shop/catalog-service.ts';
import type { ShopApp } from '../app-env.ts';
import { sent } from '../app-env.ts';
import { sendJson } from '../json-response.ts';
import {
  Category,
  CategoryPatch,
  ConflictProblem,
  jsonContent,
  NewCategory,
  NewProduct,
  Product,
  ProductIdParam,
  ProductPatch,
  SlugParam,
  UnprocessableProblem,
} from '../schemas.ts';
import { ADMIN, ADMIN_SECURITY, ANY, headers, INVALID, JSON_BODY, problem } from './contract.ts';

const tags = ['admin'];
const security = ADMIN_SECURITY;
const authProblems = { ...ADMIN, ...ANY };
const written = headers('CacheControl');
const noContent = { description: 'Deleted', headers: headers() };

/** Catalogue administration. Each write returns after the cache has dropped what it changed, on every instance. */
export function registerAdminCatalogRoutes(app: ShopApp, catalog: CatalogService): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/products',
      operationId: 'createProduct',
      tags,
      security,
      summary: 'Create a product',
      request: { body: { ...jsonContent(NewProduct, 'The product'), required: true } },
      responses: {
        201: { ...jsonContent(Product, 'Created'), headers: written },
        ...JSON_BODY,
        409: problem('SKU or slug taken', ConflictProblem),
        422: problem('Unknown category', UnprocessableProblem),
        ...authProblems,
      },
    }),
    async (c) => sent(sendJson(c, await catalog.createProduct(c.req.valid('json')), 201)),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/products/{id}',
      operationId: 'updateProduct',
      tags,
      security,
      summary: 'Change price, stock, name, description, category or attributes',
      request: { params: ProductIdParam, body: { ...jsonContent(ProductPatch, 'Fields to change'), required: true } },
      responses: {
        200: { ...jsonContent(Product, 'Updated'), headers: written },
        ...JSON_BODY,
        404: problem('No such product'),
        422: problem('Unknown category', UnprocessableProblem),
        ...authProblems,
      },
    }),
    async (c) => sent(sendJson(c, await catalog.updateProduct(c.req.valid('param').id, c.req.valid('json')))),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/admin/products/{id}',
      operationId: 'deleteProduct',
      tags,
      security,
      summary: 'Delete a product',
      request: { params: ProductIdParam },
      responses: { 204: noContent, ...INVALID, 404: problem('No such product'), ...authProblems },
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
      operationId: 'createCategory',
      tags,
      security,
      summary: 'Create a category',
      request: { body: { ...jsonContent(NewCategory, 'The category'), required: true } },
      responses: {
        201: { ...jsonContent(Category, 'Created'), headers: written },
        ...JSON_BODY,
        409: problem('Slug taken', ConflictProblem),
        ...authProblems,
      },
    }),
    async (c) => sent(sendJson(c, await catalog.createCategory(c.req.valid('json')), 201)),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/categories/{slug}',
      operationId: 'updateCategory',
      tags,
      security,
      summary: 'Rename or describe a category',
      request: { params: SlugParam, body: { ...jsonContent(CategoryPatch, 'Fields to change'), required: true } },
      responses: {
        200: { ...jsonContent(Category, 'Updated'), headers: written },
        ...JSON_BODY,
        404: problem('No such category'),
        ...authProblems,
      },
    }),
    async (c) => sent(sendJson(c, await catalog.updateCategory(c.req.valid('param').slug, c.req.valid('json')))),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/admin/categories/{slug}',
      operationId: 'deleteCategory',
      tags,
      security,
      summary: 'Delete an empty category',
      request: { params: SlugParam },
      responses: {
        204: noContent,
        ...INVALID,
        404: problem('No such category'),
        409: problem('Category still has products (`productCount`)', ConflictProblem),
        ...authProblems,
      },
    }),
    async (c) => {
      await catalog.deleteCategory(c.req.valid('param').slug);
      return sent(c.body(null, 204));
    },
  );
}
