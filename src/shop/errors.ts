/** Domain errors: each names a situation the HTTP layer maps to one status. */

export class NotFoundError extends Error {
  constructor(
    readonly entity: string,
    readonly id: string | number,
  ) {
    super(`${entity} ${id} not found`);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends Error {
  /** `cause` is the database's own error when a unique constraint decided the conflict. */
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

export interface StockShortage {
  productId: number;
  requested: number;
  available: number;
}

export class InsufficientStockError extends Error {
  constructor(readonly shortages: StockShortage[]) {
    super(`not enough stock for ${shortages.map((s) => s.productId).join(', ')}`);
    this.name = 'InsufficientStockError';
  }
}

/** The request is well-formed but cannot be carried out as asked (unknown product, mixed currencies). */
export class UnprocessableError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'UnprocessableError';
  }
}

export class IdempotencyMismatchError extends Error {
  constructor() {
    super('this Idempotency-Key was already used with a different request');
    this.name = 'IdempotencyMismatchError';
  }
}

/** The source of truth cannot answer now (SQLite busy or failing). */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the catalogue store is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** An outcome the shop's rules decide (not found, conflict, no stock...), as opposed to a failing store. */
export function isDomainError(error: unknown): boolean {
  return (
    error instanceof NotFoundError ||
    error instanceof ConflictError ||
    error instanceof InsufficientStockError ||
    error instanceof UnprocessableError ||
    error instanceof IdempotencyMismatchError
  );
}
