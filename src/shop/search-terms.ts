const MAX_SEARCH_TERMS = 8;
const MAX_TERM_LENGTH = 32;

/**
 * The words of a search, as both backends match them: each a prefix of some word of a
 * product's name or description, all required. Only letters and digits survive, so no client
 * text is ever read as query syntax (FTS5's or tsquery's); every value is a bound parameter too.
 */
export function searchTerms(text: string): string[] | undefined {
  const terms = text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu);
  if (!terms) return undefined;
  return terms.slice(0, MAX_SEARCH_TERMS).map((t) => t.slice(0, MAX_TERM_LENGTH));
}
