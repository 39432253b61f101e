import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

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

export function problemResponse(c: Context, problem: Problem, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, {
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
