/**
 * Request and response schemas. The same objects validate requests and generate
 * /openapi.json, so the document cannot drift from what the service accepts.
 * One file per resource under schemas/; this is where the routes take them from.
 */

export { CACHE_PREFIXES, CacheInspectQuery, CacheInvalidateBody } from './schemas/cache-admin.ts';
export {
  Attributes,
  CATEGORY_EXAMPLE,
  Category,
  CategoryPatch,
  MAX_PAGE,
  MAX_PAGE_SIZE,
  MAX_POPULAR,
  NewCategory,
  NewProduct,
  PopularQuery,
  PRODUCT_EXAMPLE,
  Product,
  ProductIdParam,
  ProductPage,
  ProductPatch,
  ProductQuery,
  SlugParam,
} from './schemas/catalog.ts';
export { jsonContent, problemContent } from './schemas/content.ts';
export { MAX_PRICE, Money } from './schemas/fields.ts';
export { IdempotencyHeader, NewOrder, Order, OrderIdParam, OrderLine } from './schemas/orders.ts';
export {
  ConflictProblem,
  FieldError,
  InsufficientStockProblem,
  ProblemDetails,
  StockShortage,
  UnprocessableOrderProblem,
  UnprocessableProblem,
  ValidationProblem,
} from './schemas/problems.ts';
