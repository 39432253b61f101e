import type { MiddlewareHandler } from 'hono';
import { bearerTokenOf, tokenMatcher } from '../bearer-token.ts';
import { problem, problemResponse } from '../problem.ts';

/** Bearer-token guard for admin routes: 401 without a bearer token, 403 with a wrong one. */
export function adminAuth(token: string): MiddlewareHandler {
  const matches = tokenMatcher(token);
  return async (c, next) => {
    const presented = bearerTokenOf(c.req.header('authorization'));
    if (presented === undefined) {
      return problemResponse(
        c,
        problem(401, 'unauthorized', 'Authentication required', 'Send Authorization: Bearer <admin token>.'),
        {
          'www-authenticate': 'Bearer realm="admin"',
        },
      );
    }
    if (!matches(presented))
      return problemResponse(c, problem(403, 'forbidden', 'Forbidden', 'The admin token is not valid.'));
    await next();
  };
}
