import { OpenAPIHono } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import { problem, problemResponse } from './problem.ts';

export type ShopApp = OpenAPIHono;

const TARGET_NAMES: Record<string, string> = { param: 'path', query: 'query', json: 'body', header: 'header' };

/**
 * The app type every route module registers on. Validation failures from any schema become a
 * 400 problem listing each offending field with where it was (path, query, body, header).
 */
export function createShopApp(): ShopApp {
  return new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      const where = TARGET_NAMES[result.target] ?? result.target;
      const errors = (result.error as ZodError).issues.slice(0, 50).map((i) => ({
        in: where,
        name: i.path.length > 0 ? i.path.map(String).join('.') : where,
        reason: i.message,
      }));
      return problemResponse(c, problem(400, 'validation', 'Invalid request', `${errors.length} invalid ${where} value(s)`, { errors }));
    },
  });
}

/**
 * Handlers answer with bytes serialized once at load time rather than through c.json; the
 * OpenAPI document still describes their shape from the schemas. This is the one place that
 * tells the typed router so.
 */
export function sent(response: Response): never {
  return response as never;
}
