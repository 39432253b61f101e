import { createRoute, z } from '@hono/zod-openapi';
import type { PrefixRegistry } from '../../cache/prefix-registry.ts';
import type { TwoTierCache } from '../../cache/two-tier-cache.ts';
import type { CacheMetrics } from '../../observability/cache-metrics.ts';
import type { ShopApp } from '../app-env.ts';
import { sent } from '../app-env.ts';
import { sendJson } from '../json-response.ts';
import { problem, problemResponse } from '../problem.ts';
import { CacheInspectQuery, CacheInvalidateBody, jsonContent } from '../schemas.ts';
import { ADMIN, ADMIN_SECURITY, ANY, headers, INVALID, JSON_BODY } from './contract.ts';

const tags = ['admin'];
const security = ADMIN_SECURITY;
const authProblems = { ...ADMIN, ...ANY };
const noStore = headers('CacheControl');

/** Cache administration: only reachable through the admin token, like every other write. */
export function registerAdminCacheRoutes(
  app: ShopApp,
  cache: TwoTierCache,
  registry: PrefixRegistry,
  metrics: CacheMetrics | undefined,
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/cache/stats',
      operationId: 'getCacheStats',
      tags,
      security,
      summary: 'Per-prefix statistics and the state of each tier',
      responses: {
        200: {
          ...jsonContent(
            z.record(z.string(), z.unknown()).openapi({
              example: { status: { l2: 'up' }, prefixes: { product: { freshMs: 300000 } }, counters: {} },
            }),
            'Statistics',
          ),
          headers: noStore,
        },
        ...authProblems,
      },
    }),
    (c) => {
      const prefixes = Object.fromEntries(
        registry.all().map((p) => [
          p.name,
          {
            freshMs: p.freshMs,
            graceMs: p.graceMs,
            jitter: p.jitter,
            l1: p.l1,
            staleWhileRevalidate: p.staleWhileRevalidate,
          },
        ]),
      );
      const body = { status: cache.status(), prefixes, counters: metrics?.snapshot() ?? {} };
      return sent(sendJson(c, body));
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/cache/inspect',
      operationId: 'inspectCacheKey',
      tags,
      security,
      summary: 'Where a key is: in L1 (and for how long), in L2 (TTL, size, slot and node)',
      request: { query: CacheInspectQuery },
      responses: {
        200: {
          ...jsonContent(
            z.record(z.string(), z.unknown()).openapi({ example: { key: 'shop:product:42', l1: { present: true } } }),
            'The key in each tier',
          ),
          headers: noStore,
        },
        ...INVALID,
        ...authProblems,
      },
    }),
    async (c) => sent(sendJson(c, await cache.inspect(c.req.valid('query').key))),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/cache/invalidate',
      operationId: 'invalidateCache',
      tags,
      security,
      summary: 'Invalidate keys, whole prefixes or tags on every instance',
      request: { body: { ...jsonContent(CacheInvalidateBody, 'What to drop'), required: true } },
      responses: {
        200: {
          ...jsonContent(
            z
              .object({ invalidated: z.record(z.string(), z.unknown()) })
              .openapi({ example: { invalidated: { keys: ['shop:product:42'], prefixes: [], tags: [] } } }),
            'Done',
          ),
          headers: noStore,
        },
        ...JSON_BODY,
        ...authProblems,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const unknown = [...(body.prefixes ?? []), ...(body.keys ?? []).map((k) => k.prefix)].filter(
        (p) => !registry.find(p),
      );
      if (unknown.length > 0) {
        return sent(
          problemResponse(
            c,
            problem(400, 'validation', 'Invalid request', `unknown prefixes: ${[...new Set(unknown)].join(', ')}`),
          ),
        );
      }
      const keys = (body.keys ?? []).map((k) => cache.key(k.prefix, ...k.parts));
      await cache.invalidate({
        keys,
        ...(body.prefixes ? { prefixes: body.prefixes } : {}),
        ...(body.tags ? { tags: body.tags } : {}),
      });
      const invalidated = { keys: keys.map((k) => k.full), prefixes: body.prefixes ?? [], tags: body.tags ?? [] };
      return sent(sendJson(c, { invalidated }));
    },
  );
}
