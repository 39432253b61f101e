import fc from 'fast-check';

/** The JSON Schema subset the document uses (OpenAPI 3.1 = JSON Schema 2020-12). */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
  example?: unknown;
}

export type Resolve = (schema: JsonSchema) => JsonSchema;

const email = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/), fc.stringMatching(/^[a-z]{1,10}$/), fc.constantFrom('org', 'com'))
  .map(([user, host, tld]) => `${user}@${host}.${tld}`);

/**
 * Values valid for a schema, as Schemathesis would draw them: patterns through
 * fc.stringMatching, bounds from minimum/maximum and lengths, objects with their required keys
 * and some optional ones. Arrays and free-form maps are kept short.
 */
export function validArbitrary(schema: JsonSchema, resolve: Resolve, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const union = s.anyOf ?? s.oneOf;
  if (union) return fc.oneof(...union.map((u) => validArbitrary(u, resolve, depth + 1)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string': {
      const minLength = s.minLength ?? 0;
      const maxLength = Math.min(s.maxLength ?? 40, 60);
      if (s.format === 'email') return email;
      const base = s.pattern
        ? fc.stringMatching(new RegExp(s.pattern))
        : fc.string({ unit: 'grapheme-ascii', minLength, maxLength });
      return base.filter((v) => v.length >= minLength && v.length <= (s.maxLength ?? Number.POSITIVE_INFINITY));
    }
    case 'integer': {
      const min = s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : (s.minimum ?? -1_000);
      const max = s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : (s.maximum ?? 1_000_000);
      return fc.integer({ min, max: Math.min(max, Number.MAX_SAFE_INTEGER) });
    }
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validArbitrary(s.items ?? {}, resolve, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 3, (s.minItems ?? 0 > 3) ? (s.minItems ?? 0) : 3),
      });
    case 'object': {
      if (s.properties) {
        const required = s.required ?? [];
        const record = fc.record(
          Object.fromEntries(
            Object.entries(s.properties).map(([k, v]) => [k, validArbitrary(v, resolve, depth + 1)]),
          ) as Record<string, fc.Arbitrary<unknown>>,
          { requiredKeys: required },
        );
        const min = s.minProperties ?? 0;
        return record.filter((o) => Object.keys(o as object).length >= min);
      }
      if (typeof s.additionalProperties === 'object' && depth < 3) {
        return fc.dictionary(
          s.propertyNames?.pattern ? fc.stringMatching(new RegExp(s.propertyNames.pattern)) : fc.string(),
          validArbitrary(s.additionalProperties, resolve, depth + 1),
          { maxKeys: Math.min(s.maxProperties ?? 3, 3) },
        );
      }
      return fc.constant({});
    }
    default:
      return fc.constant(null);
  }
}

/** Values each breaking one rule of the schema (wrong type, out of bounds, unknown or missing field). */
export function invalidValues(schema: JsonSchema, resolve: Resolve, valid: unknown): unknown[] {
  const s = resolve(schema);
  const out: unknown[] = [];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (s.enum) out.push('not-one-of-them');
  if (type === 'string') {
    out.push(12345);
    if (s.maxLength !== undefined) out.push('a'.repeat(s.maxLength + 1));
    if ((s.minLength ?? 0) > 0) out.push('');
    if (s.pattern) out.push('\u0001 not matching ~~');
  }
  if (type === 'integer' || type === 'number') {
    out.push('seven');
    if (s.maximum !== undefined) out.push(s.maximum + 1);
    if (s.minimum !== undefined) out.push(s.minimum - 1);
    if (s.exclusiveMinimum !== undefined) out.push(s.exclusiveMinimum);
    if (type === 'integer') out.push(1.5);
  }
  if (type === 'array') {
    out.push({ not: 'an array' });
    if (s.maxItems !== undefined && s.maxItems <= 200) out.push(Array.from({ length: s.maxItems + 1 }, () => null));
  }
  if (type === 'object' && s.properties && valid && typeof valid === 'object') {
    out.push('an object was expected');
    const v = valid as Record<string, unknown>;
    for (const key of s.required ?? []) {
      const { [key]: _, ...rest } = v;
      out.push(rest);
    }
    if (s.additionalProperties === false) out.push({ ...v, surprise: true });
    for (const [key, prop] of Object.entries(s.properties)) {
      if (!(key in v)) continue;
      for (const bad of invalidValues(prop, resolve, v[key]).slice(0, 3)) out.push({ ...v, [key]: bad });
    }
  }
  return out;
}
