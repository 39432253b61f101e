import type { ProductQuery } from '../shop/types.ts';

const TOTAL_FIELD = '"total":';

/**
 * The `total` of a serialized page: its last field (ProductPage's order), read from the bytes
 * rather than parsing a whole page per request.
 */
export function totalOf(pageJson: string): number | undefined {
  const at = pageJson.lastIndexOf(TOTAL_FIELD);
  if (at < 0) return undefined;
  const n = Number.parseInt(pageJson.slice(at + TOTAL_FIELD.length), 10);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * RFC 8288 Link header for a catalogue page: first, prev, next and last, as references relative
 * to the request's path, carrying the parsed query (never unknown parameters) in a stable order.
 */
export function pageLinks(path: string, query: ProductQuery, total: number): string {
  const last = Math.max(1, Math.ceil(total / query.limit));
  const base = new URLSearchParams();
  for (const name of ['category', 'q', 'minPrice', 'maxPrice', 'inStock', 'sort'] as const) {
    const v = query[name];
    if (v !== undefined) base.set(name, String(v));
  }
  const href = (page: number) => {
    const params = new URLSearchParams(base);
    params.set('page', String(page));
    params.set('limit', String(query.limit));
    return `<${path}?${params.toString()}>`;
  };
  const links = [`${href(1)}; rel="first"`];
  if (query.page > 1) links.push(`${href(Math.min(query.page - 1, last))}; rel="prev"`);
  if (query.page < last) links.push(`${href(query.page + 1)}; rel="next"`);
  links.push(`${href(last)}; rel="last"`);
  return links.join(', ');
}
