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
      // An unknown field has an empty path (the object is where it was found): name each key instead.
      const errors = (result.error as ZodError).issues
        .flatMap((i) => {
          const base = i.path.map(String).join('.');
          if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ in: where, name: base ? `${base}.${k}` : k, reason: `unknown ${where} field` }));
          return [{ in: where, name: base || where, reason: i.message }];
        })
        .slice(0, 50);
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
