import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, storeEnv, usePostgresServer } from './harness/backends.ts';
import { adminHeaders, startTestService, type TestService } from './harness/service.ts';
import { invalidValues, type JsonSchema, validArbitrary } from './helpers/schema-arbitrary.ts';

/**
 * Contract fuzzing, the way Schemathesis does it: for every documented operation, requests drawn
 * from its own schemas (valid ones, and ones breaking one rule each) go to the real server over
 * HTTP, and every answer is checked against the document: a documented status, the documented
 * content type, a body the documented schema accepts (ajv, JSON Schema 2020-12), X-Request-Id.
 * A valid request must never get a 400 (a constraint the document does not state) or a 5xx.
 */

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}
interface MediaContent {
  schema: JsonSchema;
}
interface ResponseDoc {
  $ref?: string;
  content?: Record<string, MediaContent>;
  headers?: Record<string, unknown>;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, MediaContent> };
  responses: Record<string, ResponseDoc>;
  security: unknown[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, ResponseDoc> };
}
interface Call {
  kind: 'valid' | 'invalid';
  what: string;
  path: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: string;
  contentType?: string;
}

const SEED = 20251125;

const defined = (o: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => e[1] !== undefined));
const VALID_PER_OPERATION = 15;

const postgres = usePostgresServer();

describe.each(BACKENDS)('contract fuzz on %s: every operation, answers checked against the document', (backend) => {
  let shop: TestService;
  let doc: Document;
  let ajv: Ajv2020;
  const resolve = (s: JsonSchema): JsonSchema =>
    s.$ref ? resolve(doc.components.schemas[s.$ref.split('/').pop()!] ?? {}) : s;

  beforeAll(async () => {
    shop = await startTestService({ listen: true, env: await storeEnv(backend, postgres) });
    doc = (await (await shop.request('/openapi.json')).json()) as Document;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(doc as object, 'doc');
  });
  afterAll(async () => {
    await shop?.close();
  });

  /** The documented answer for a status, `$ref`s followed. */
  const documented = (op: Operation, status: number): ResponseDoc | undefined => {
    const r = op.responses[String(status)];
    return r?.$ref ? doc.components.responses[r.$ref.split('/').pop()!] : r;
  };

  /** Sends a call and checks the answer against the document; returns a description of any breach. */
  async function check(path: string, method: string, op: Operation, call: Call): Promise<string[]> {
    let url = path;
    for (const [k, v] of Object.entries(call.path)) url = url.replace(`{${k}}`, encodeURIComponent(v));
    const qs = new URLSearchParams(call.query).toString();
    const headers: Record<string, string> = { ...call.headers };
    if (op.security.length > 0) headers.authorization = adminHeaders.authorization;
    if (call.body !== undefined) headers['content-type'] = call.contentType ?? 'application/json';
    const res = await shop.request(`${url}${qs ? `?${qs}` : ''}`, {
      method: method.toUpperCase(),
      headers,
      ...(call.body !== undefined ? { body: call.body } : {}),
    });
    const text = await res.text();
    const where = `${op.operationId} ${call.kind} ${call.what}: ${method.toUpperCase()} ${url}?${qs} ${call.body?.slice(0, 200) ?? ''} → ${res.status} ${text.slice(0, 300)}`;
    const breaches: string[] = [];
    const response = documented(op, res.status);
    if (!response) return [`undocumented status: ${where}`];
    if (!res.headers.get('x-request-id')) breaches.push(`no X-Request-Id: ${where}`);
    if (res.status >= 500) breaches.push(`server error: ${where}`);
    if (call.kind === 'valid' && res.status === 400) breaches.push(`valid request refused: ${where}`);
    if (call.kind === 'invalid' && res.status < 400) breaches.push(`invalid request accepted: ${where}`);
    if (call.what === 'wrong media type' && res.status !== 415) breaches.push(`wrong media type not a 415: ${where}`);
    const media = Object.keys(response.content ?? {});
    if (media.length === 0) {
      if (text !== '') breaches.push(`body where none is documented: ${where}`);
      return breaches;
    }
    const contentType = res.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    if (!media.includes(contentType)) return [...breaches, `content type ${contentType} not in ${media}: ${where}`];
    const schema = response.content![contentType]!.schema;
    const validate = ajv.compile(schema.$ref ? { $ref: `doc${schema.$ref}` } : (schema as object));
    if (!validate(JSON.parse(text))) breaches.push(`body off schema ${ajv.errorsText(validate.errors)}: ${where}`);
    return breaches;
  }

  /** Whether a parameter's schema accepts this text (numbers read as the integers they are documented as). */
  const acceptsText = (schema: JsonSchema, text: string): boolean => {
    const s = resolve(schema);
    const numeric = s.type === 'integer' || s.type === 'number';
    const value = numeric && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    return ajv.validate(s as object, value);
  };

  /** Valid calls drawn from the operation's parameter and body schemas. */
  function validCalls(op: Operation, seed: number): Call[] {
    const params = op.parameters ?? [];
    const arb = fc.record({
      path: fc.record(
        Object.fromEntries(
          params.filter((p) => p.in === 'path').map((p) => [p.name, validArbitrary(p.schema, resolve).map(String)]),
        ) as Record<string, fc.Arbitrary<string>>,
      ),
      query: fc.record(
        Object.fromEntries(
          params.filter((p) => p.in === 'query').map((p) => [p.name, validArbitrary(p.schema, resolve).map(String)]),
        ) as Record<string, fc.Arbitrary<string>>,
        { requiredKeys: params.filter((p) => p.in === 'query' && p.required).map((p) => p.name) },
      ),
      headers: fc.record(
        Object.fromEntries(
          params
            .filter((p) => p.in === 'header' && p.name !== 'if-none-match')
            .map((p) => [p.name, validArbitrary(p.schema, resolve).map(String)]),
        ) as Record<string, fc.Arbitrary<string>>,
        { requiredKeys: [] },
      ),
      body: op.requestBody
        ? validArbitrary(op.requestBody.content['application/json']!.schema, resolve)
        : fc.constant(undefined),
    });
    return fc.sample(arb, { seed, numRuns: VALID_PER_OPERATION }).map((v) => {
      const query = defined(v.query);
      // The one cross-parameter rule (stated in both parameters' descriptions): minPrice ≤ maxPrice.
      if (
        query.minPrice !== undefined &&
        query.maxPrice !== undefined &&
        Number(query.minPrice) > Number(query.maxPrice)
      )
        [query.minPrice, query.maxPrice] = [query.maxPrice, query.minPrice];
      return {
        kind: 'valid' as const,
        what: 'drawn from the schemas',
        path: v.path,
        query,
        headers: defined(v.headers),
        ...(v.body !== undefined ? { body: JSON.stringify(v.body) } : {}),
      };
    });
  }

  /** Calls each breaking one rule: one parameter or one body field at a time, a wrong media type, bad JSON. */
  function invalidCalls(op: Operation, base: Call): Call[] {
    const calls: Call[] = [];
    for (const p of op.parameters ?? []) {
      if (p.in === 'header' && p.name === 'if-none-match') continue;
      const bad = invalidValues(p.schema, resolve, undefined)
        .map(String)
        // On the wire every parameter is text: 12345 is a fine string, so keep only what the schema refuses.
        .filter((v) => !acceptsText(p.schema, v))
        // An empty path segment is another route, not a bad value for this one.
        .filter((v) => !(p.in === 'path' && (v === '' || v.includes('/'))));
      for (const value of bad.slice(0, 4)) {
        const target = p.in === 'path' ? 'path' : p.in === 'query' ? 'query' : 'headers';
        if (p.in === 'header' && !/^[\t\x20-\x7e]*$/.test(value)) continue; // fetch cannot send it
        calls.push({
          ...base,
          kind: 'invalid',
          what: `${p.in} ${p.name}=${value}`,
          [target]: { ...base[target], [p.name]: value },
        });
      }
    }
    if (op.requestBody && base.body !== undefined) {
      const schema = op.requestBody.content['application/json']!.schema;
      for (const body of invalidValues(schema, resolve, JSON.parse(base.body)).slice(0, 25))
        calls.push({ ...base, kind: 'invalid', what: 'body breaking one rule', body: JSON.stringify(body) });
      calls.push({ ...base, kind: 'invalid', what: 'not JSON', body: '{"customer": ' });
      calls.push({ ...base, kind: 'invalid', what: 'wrong media type', contentType: 'text/plain' });
      for (const junk of fc.sample(fc.jsonValue(), { seed: SEED, numRuns: 5 }))
        calls.push({ ...base, kind: 'invalid', what: 'any JSON', body: JSON.stringify(junk ?? null) });
    }
    return calls;
  }

  it('answers every drawn request, valid or not, as the document says', async () => {
    const breaches: string[] = [];
    let sent = 0;
    let operations = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        operations++;
        const valid = validCalls(op, SEED + operations);
        for (const call of [...valid, ...invalidCalls(op, valid[0]!)]) {
          breaches.push(...(await check(path, method, op, call)));
          sent++;
        }
      }
    }
    expect(breaches.slice(0, 20)).toEqual([]);
    expect(operations).toBe(16);
    expect(sent).toBeGreaterThan(350);
  }, 240_000);

  it('answers a wrong method on every documented path with a 405 problem and an Allow header naming the documented ones', async () => {
    const problem = ajv.compile({ $ref: 'doc#/components/schemas/Problem' });
    for (const [path, ops] of Object.entries(doc.paths)) {
      const concrete = path
        .replace('{id}', path.startsWith('/api/orders') ? 'A'.repeat(22) : '1')
        .replace('{slug}', 'roses');
      const documentedMethods = Object.keys(ops).map((m) => m.toUpperCase());
      const wrong = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !documentedMethods.includes(m));
      for (const method of wrong) {
        const res = await shop.request(concrete, { method });
        expect(res.status, `${method} ${concrete}`).toBe(405);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        const allow = res.headers
          .get('allow')!
          .split(', ')
          .filter((m) => m !== 'HEAD');
        expect(allow.sort(), `${method} ${concrete}`).toEqual([...documentedMethods].sort());
        expect(problem(await res.json()), `${method} ${concrete}`).toBe(true);
      }
    }
  });
});
