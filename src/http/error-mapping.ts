import { HTTPException } from 'hono/http-exception';
import {
  ConflictError,
  IdempotencyMismatchError,
  InsufficientStockError,
  NotFoundError,
  StoreUnavailableError,
  UnprocessableError,
} from '../shop/errors.ts';
import { type Problem, problem } from './problem.ts';

/**
 * The one place where an error becomes an HTTP answer. Everything unknown is a 500 with no
 * detail (the log has it); everything a client can cause has a 4xx here.
 */
export function problemFor(error: unknown): { problem: Problem; expected: boolean } {
  if (error instanceof NotFoundError)
    return { problem: problem(404, 'not-found', 'Not found', error.message), expected: true };
  if (error instanceof InsufficientStockError) {
    return {
      problem: problem(409, 'insufficient-stock', 'Not enough stock', error.message, { items: error.shortages }),
      expected: true,
    };
  }
  if (error instanceof IdempotencyMismatchError)
    return { problem: problem(422, 'idempotency-key-reused', 'Idempotency-Key reused', error.message), expected: true };
  if (error instanceof ConflictError)
    return { problem: problem(409, 'conflict', 'Conflict', error.message, error.details), expected: true };
  if (error instanceof UnprocessableError)
    return {
      problem: problem(422, 'unprocessable', 'Cannot be processed', error.message, error.details),
      expected: true,
    };
  if (error instanceof StoreUnavailableError || isStoreFailure(error)) {
    return {
      problem: problem(
        503,
        'store-unavailable',
        'Temporarily unavailable',
        'The catalogue cannot be read right now; retry shortly.',
      ),
      expected: false,
    };
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    if (status === 413)
      return { problem: problem(413, 'body-too-large', 'Request body too large', error.message), expected: true };
    if (status === 415)
      return {
        problem: problem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the body as application/json.'),
        expected: true,
      };
    // Hono's JSON validator reports a body that does not parse as a 400 HTTPException.
    if (status === 400 && /JSON/i.test(error.message))
      return { problem: problem(400, 'malformed-body', 'Malformed request body', error.message), expected: true };
    if (status < 500) return { problem: problem(status, 'bad-request', 'Bad request', error.message), expected: true };
  }
  return {
    problem: problem(500, 'internal', 'Internal error', 'Something went wrong on our side; it has been logged.'),
    expected: false,
  };
}

/**
 * SQLite refusing for reasons outside the request (another process holds the lock, disk or file
 * trouble): the store is unavailable, which a client may retry, not an internal error.
 */
function isStoreFailure(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? (error as { code: unknown }).code : undefined;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL)/.test(code);
}
