import type { ShopApp } from '../app-env.ts';
import { ProblemDetails, problemContent, ValidationProblem } from '../schemas.ts';

/**
 * The parts of the document every route shares: response headers, the problems any operation
 * can answer with, and the security scheme. Registered as components once and referenced, so
 * each operation names them without repeating them.
 */

const HEADERS = {
  ETag: { description: 'Strong validator of the representation (weak, W/, when compressed).', example: '"a1B2c3"' },
  CacheStatus: {
    description: 'RFC 9211: how each cache tier handled the request.',
    example: 'shop-l2; hit; ttl=287, shop-l1; fwd=miss; stored',
  },
  CacheControl: { description: 'How long a browser or CDN may keep the answer.', example: 'public, max-age=5' },
  Location: { description: 'Where the created resource is.', example: '/api/orders/Vq3Jm0cXh1c6pXW9aG2bYw' },
  IdempotencyReplayed: {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key.',
    example: 'true',
  },
  XRequestId: {
    description:
      "The request's id, as the client sent it when well-formed (1-128 of A-Za-z0-9._:-), generated otherwise; it is in the request's log line.",
    example: '0b7e5f0e-8a43-4a7e-9c1b-6d1c1e3b2f8a',
  },
  Link: {
    description: 'RFC 8288 links to the first, previous, next and last pages.',
    example: '</api/products?page=3&limit=24>; rel="next", </api/products?page=1&limit=24>; rel="prev"',
  },
  Allow: { description: 'The methods the path has.', example: 'GET, HEAD' },
} as const;
type HeaderName = keyof typeof HEADERS;

const ref = (name: HeaderName) => ({ $ref: `#/components/headers/${name}` });
/** Response headers by name, for a response's `headers`. X-Request-Id is on every answer. */
export function headers(...names: HeaderName[]): Record<string, { $ref: string }> {
  const out: Record<string, { $ref: string }> = { 'X-Request-Id': ref('XRequestId') };
  const wire: Record<HeaderName, string> = {
    ETag: 'ETag',
    CacheStatus: 'Cache-Status',
    CacheControl: 'Cache-Control',
    Location: 'Location',
    IdempotencyReplayed: 'Idempotency-Replayed',
    XRequestId: 'X-Request-Id',
    Link: 'Link',
    Allow: 'Allow',
  };
  for (const n of names) out[wire[n]] = ref(n);
  return out;
}

const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const problemWithId = (description: string, schema?: Parameters<typeof problemContent>[1]) => ({
  ...problemContent(description, schema),
  headers: headers(),
});
/** A shared response: components hold plain OpenAPI, so its schema is a reference. */
const shared = (description: string, schema = 'Problem', ...extra: HeaderName[]) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: `#/components/schemas/${schema}` } } },
  headers: headers(...extra),
});
const COMMON_RESPONSES = {
  BadRequest: shared('Invalid request: `errors` names each offending field', 'ValidationProblem'),
  Unauthorized: shared('No admin token (WWW-Authenticate: Bearer)'),
  Forbidden: shared('Wrong admin token'),
  PayloadTooLarge: shared('Body over the size limit'),
  UnsupportedMediaType: shared('Body not sent as application/json'),
  InternalError: shared('Unexpected failure (logged; no detail given)'),
  ServiceUnavailable: shared('The store cannot answer right now; retry shortly'),
  MethodNotAllowed: shared('Known path, wrong method', 'Problem', 'Allow'),
};

/** Problems any operation can answer with. */
export const ANY = { 500: responseRef('InternalError'), 503: responseRef('ServiceUnavailable') };
/** Problems of an operation that reads a JSON body. */
export const JSON_BODY = {
  400: responseRef('BadRequest'),
  413: responseRef('PayloadTooLarge'),
  415: responseRef('UnsupportedMediaType'),
};
export const INVALID = { 400: responseRef('BadRequest') };
/** Problems of an admin operation (besides its own). */
export const ADMIN = { 401: responseRef('Unauthorized'), 403: responseRef('Forbidden') };
export const ADMIN_SECURITY = [{ adminToken: [] }];
export const PUBLIC_SECURITY: { [name: string]: string[] }[] = [];

/** A problem specific to one operation, with the id header. */
export const problem = problemWithId;

export function registerContractComponents(app: ShopApp): void {
  const registry = app.openAPIRegistry;
  registry.register('Problem', ProblemDetails);
  registry.register('ValidationProblem', ValidationProblem);
  registry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The ADMIN_TOKEN of the deployment.',
  });
  for (const [name, h] of Object.entries(HEADERS))
    registry.registerComponent('headers', name, { ...h, schema: { type: 'string' } });
  for (const [name, r] of Object.entries(COMMON_RESPONSES)) registry.registerComponent('responses', name, r);
}
