import { z } from '@hono/zod-openapi';
import { MAX_MONEY_AMOUNT } from '../../shop/types.ts';

/** Field rules the resources' schemas share. */

export const MAX_PRICE = MAX_MONEY_AMOUNT;

/** The one timestamp the document's examples carry. */
export const EXAMPLE_TIMESTAMP = '2026-01-05T09:30:00.000Z';

export const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'lowercase letters, digits and dashes, at most 64');
export const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,12}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
export const boolString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const currency = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. EUR');
/** Printable text: control characters are refused rather than stored. */
const CONTROL_CHARACTERS = /[\p{Cc}\p{Cs}]/u;
// A refinement, not a regex pattern: OpenAPI patterns have no unicode flag, so the document would carry a broken one.
// The same rule for the document, as a pattern without the unicode flag (C0, DEL and C1 are \p{Cc}).
const PRINTABLE = '^[^\\u0000-\\u001F\\u007F-\\u009F]*$';
const PRINTABLE_NOT_BLANK = '^[^\\u0000-\\u001F\\u007F-\\u009F]*\\S[^\\u0000-\\u001F\\u007F-\\u009F]*$';
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'must not contain control characters')
    .openapi({ pattern: PRINTABLE });
export const line = (min: number, max: number) =>
  text(max).min(min).regex(/\S/, 'must not be blank').openapi({ pattern: PRINTABLE_NOT_BLANK });

export const Money = z
  .object({ amount: z.number().int().min(0).max(MAX_PRICE), currency })
  .openapi('Money', { example: { amount: 4659, currency: 'EUR' } });
