import { createHash, timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer <token>` header, or undefined for anything else. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S.*)$/i.exec(header);
  return match ? match[1]!.trim() : undefined;
}

/**
 * A checker for one configured token. Both sides are hashed first, so the comparison is
 * constant-time whatever the lengths, and the token itself never sits in a comparison buffer.
 */
export function tokenMatcher(token: string): (presented: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (presented) =>
    presented !== undefined && timingSafeEqual(createHash('sha256').update(presented).digest(), expected);
}
