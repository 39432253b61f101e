import { OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { output, ZodError, ZodType } from 'zod';
import { nameRoute } from './middleware/observe-requests.ts';
import { problem, problemResponse } from './problem.ts';

export type ShopApp = OpenAPIHono;

const TARGET_NAMES: Record<string, string> = { param: 'path', query: 'query', json: 'body', header: 'header' };

/**
 * The app type every route module registers on. Validation failures from any schema become a
 * 400 problem listing each offending field with where it was (path, query, body, header).
 */
export function createShopApp(): ShopApp {
  return new OpenAPIHono({
    defaultHook: (result, c) =>
      result.success ? undefined : validationProblem(c, result.target, result.error as ZodError),
  });
}

function validationProblem(c: Context, target: string, error: ZodError): Response {
  const where = TARGET_NAMES[target] ?? target;
  // An unknown field has an empty path (the object is where it was found): name each key instead.
  const errors = error.issues
    .flatMap((i) => {
      const base = i.path.map(String).join('.');
      if (i.code === 'unrecognized_keys')
        return i.keys.map((k) => ({ in: where, name: base ? `${base}.${k}` : k, reason: `unknown ${where} field` }));
      return [{ in: where, name: base || where, reason: i.message }];
    })
    .slice(0, 50);
  return problemResponse(
    c,
    problem(400, 'validation', 'Invalid request', `${errors.length} invalid ${where} value(s)`, { errors }),
  );
}

type HotRoute = RouteConfig & { method: 'get'; request?: { params?: ZodType; query?: ZodType } };
type Output<S> = S extends ZodType ? output<S> : undefined;
type Parsed<R extends HotRoute> = {
  param: Output<NonNullable<R['request']>['params']>;
  query: Output<NonNullable<R['request']>['query']>;
};

/**
 * A cached GET route on the hot path: documented in /openapi.json and validated with the
 * schemas of its route definition, but synchronously in the handler. The generic validator
 * middleware costs an async hop per request, a measurable share of an L1 hit (BENCHMARKS.md);
 * errors are the same 400 problems.
 */
export function hotGet<R extends HotRoute>(
  app: ShopApp,
  route: R,
  handler: (c: Context, input: Parsed<R>) => Response | Promise<Response>,
  /** Where the handler is mounted when not on `app` itself (the single-item routes' own app, see app.ts). */
  mountOn: ShopApp = app,
): void {
  app.openAPIRegistry.registerPath(route);
  const honoPath = route.path.replace(/\{([^}]+)\}/g, ':$1');
  const paramSchema = route.request?.params;
  const querySchema = route.request?.query;
  const parseParams = paramSchema ? paramParser(paramSchema, route.path) : undefined;
  mountOn.get(honoPath, (c) => {
    nameRoute(c, honoPath);
    let param: unknown;
    let query: unknown;
    if (parseParams) {
      const r = parseParams(c);
      if (!r.success) return validationProblem(c, 'param', r.error);
      param = r.data;
    }
    if (querySchema) {
      // As Hono's validator does: a key given once is a string, a repeated key an array (which the schemas refuse).
      const raw = Object.fromEntries(Object.entries(c.req.queries()).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
      const r = querySchema.safeParse(raw);
      if (!r.success) return validationProblem(c, 'query', r.error);
      query = r.data;
    }
    return handler(c, { param, query } as Parsed<R>);
  });
}

/** Distinct parameter values whose parse is remembered per route; past it the memory starts again. */
const MAX_REMEMBERED_PARAMS = 1_024;

type ParamParse = { success: true; data: unknown } | { success: false; error: ZodError };

/**
 * Validates a route's path parameters with its schema. A route with one parameter (a product
 * id, a category slug) remembers the parse of the values it has accepted, so a hot id is
 * validated by the schema once rather than on every request (zod's parse was ~4% of an L1 hit's
 * CPU, BENCHMARKS.md). Only successes are kept, the memory is bounded and the schemas are pure
 * (a regex and a conversion), so every answer, 400s included, is what parsing each time gives.
 */
function paramParser(schema: ZodType, path: string): (c: Context) => ParamParse {
  const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const only = names.length === 1 ? names[0]! : undefined;
  if (only === undefined) return (c) => schema.safeParse(c.req.param());
  const accepted = new Map<string, ParamParse>();
  return (c) => {
    const raw = c.req.param(only);
    const known = raw === undefined ? undefined : accepted.get(raw);
    if (known !== undefined) return known;
    const r = schema.safeParse({ [only]: raw });
    if (!r.success || raw === undefined) return r;
    const parsed: ParamParse = { success: true, data: Object.freeze(r.data) };
    if (accepted.size >= MAX_REMEMBERED_PARAMS) accepted.clear();
    accepted.set(raw, parsed);
    return parsed;
  };
}

/**
 * Handlers answer with bytes serialized once at load time rather than through c.json; the
 * OpenAPI document still describes their shape from the schemas. This is the one place that
 * tells the typed router so.
 */
export function sent(response: Response): never {
  return response as never;
}
