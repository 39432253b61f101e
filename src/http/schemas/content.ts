import type { z } from '@hono/zod-openapi';
import { ProblemDetails } from './problems.ts';

/** A schema as the content of a request body or a response, under its media type. */

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
export const problemContent = (description: string, schema: z.ZodType = ProblemDetails) => ({
  content: { 'application/problem+json': { schema } },
  description,
});
