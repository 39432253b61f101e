import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { problem, problemResponse } from '../problem.ts';

/**
 * Bearer-token guard for admin routes. Both sides are hashed first, so the comparison is
 * constant-time whatever the lengths, and the token itself never sits in a comparison buffer.
 */
export function adminAuth(token: string): MiddlewareHandler {
  const expected = createHash('sha256').update(token).digest();
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header || !/^Bearer\s+\S/i.test(header)) {
      return problemResponse(c, problem(401, 'unauthorized', 'Authentication required', 'Send Authorization: Bearer <admin token>.'), {
        'www-authenticate': 'Bearer realm="admin"',
      });
    }
    const presented = createHash('sha256').update(header.replace(/^Bearer\s+/i, '').trim()).digest();
    if (!timingSafeEqual(presented, expected)) return problemResponse(c, problem(403, 'forbidden', 'Forbidden', 'The admin token is not valid.'));
    await next();
  };
}
