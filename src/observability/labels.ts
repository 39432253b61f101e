/** Fixed label vocabularies: every label value the service can emit comes from here. */

export const TIERS = ['l1', 'l2'] as const;
export const RESULTS = ['hit', 'miss', 'stale'] as const;
export const OPERATIONS = ['get', 'set', 'delete'] as const;
export const EVICTION_REASONS = { l1: ['size', 'expired', 'invalidated'], l2: ['evicted', 'expired'] } as const;
export const LOAD_RESULTS = ['success', 'error'] as const;
export const INVALIDATION_SOURCES = ['local', 'remote'] as const;
export const L2_OPERATIONS = ['get', 'set', 'delete', 'tag', 'lock', 'publish', 'ping', 'other'] as const;
export const L2_ERROR_KINDS = ['timeout', 'connection', 'other'] as const;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function httpMethodLabel(method: string): string {
  return (HTTP_METHODS as readonly string[]).includes(method) ? method : 'other';
}

/** Status codes outside the ones HTTP defines collapse to one value. */
export function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other';
}

export function l2OperationLabel(op: string): (typeof L2_OPERATIONS)[number] {
  return (L2_OPERATIONS as readonly string[]).includes(op) ? (op as (typeof L2_OPERATIONS)[number]) : 'other';
}
