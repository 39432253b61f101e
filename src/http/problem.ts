import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { requestIdOf } from './middleware/request-id.ts';
import { SECURITY_HEADERS } from './middleware/security-headers.ts';

/** RFC 9457 problem details; `errors` lists offending fields for validation problems. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { in: string; name: string; reason: string }[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem type URIs are relative references (RFC 9457 §3.1.1), stable and documented in the README. */
export const problemType = (name: string): string => `/problems/${name}`;

/**
 * A problem answer carries the edge headers itself (security headers, request id): problems also
 * come from routes that bypass the app-wide middleware (the cached single items, see app.ts).
 */
export function problemResponse(c: Context, problem: Problem, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, {
    ...SECURITY_HEADERS,
    'x-request-id': requestIdOf(c),
    'content-type': PROBLEM_CONTENT_TYPE,
    'cache-control': 'no-store',
    ...headers,
  });
}

export function problem(
  status: number,
  name: string,
  title: string,
  detail?: string,
  extra: Record<string, unknown> = {},
): Problem {
  return { type: problemType(name), title, status, ...(detail !== undefined ? { detail } : {}), ...extra };
}
