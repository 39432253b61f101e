import { createHash } from 'node:crypto';
import type { RegisteredPrefix } from './prefix-registry.ts';

/** Encoded ids longer than this are replaced by a digest, so a client cannot make keys of any length. */
export const MAX_ENCODED_ID_LENGTH = 160;

/** A cache key: always built from a registered prefix, never from raw text. */
export interface CacheKey {
  readonly prefix: RegisteredPrefix;
  /** `prefix:encoded-id`, the key's identity in both tiers and in invalidation messages. */
  readonly full: string;
}

/**
 * Each part is percent-encoded, which removes ':', '{', '}' and '#' from it. So parts cannot
 * be confused with separators, a client's text cannot reach another prefix's key space, and
 * Redis hash tags are never opened by user input.
 */
export function buildKey(prefix: RegisteredPrefix, parts: readonly (string | number | boolean)[]): CacheKey {
  let id = '';
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) id += ':';
    id += encodePart(parts[i]!);
  }
  if (id.length > MAX_ENCODED_ID_LENGTH) {
    id = `#${createHash('sha256').update(id).digest('base64url')}`;
  }
  return { prefix, full: `${prefix.name}:${id}` };
}

/**
 * encodeURIComponent, without its cost where it would change nothing: an integer's digits and
 * a string of characters it leaves alone come back as they are. Building a key was costing
 * more than the L1 lookup it serves (BENCHMARKS.md); the output is byte for byte the same.
 */
export function encodePart(part: string | number | boolean): string {
  if (typeof part === 'number') return Number.isSafeInteger(part) ? `${part}` : encodeURIComponent(String(part));
  if (typeof part === 'boolean') return part ? 'true' : 'false';
  for (let i = 0; i < part.length; i++) {
    if (!UNRESERVED[part.charCodeAt(i)]) return encodeURIComponent(part);
  }
  return part;
}

/** The ASCII characters encodeURIComponent leaves as they are: A–Z a–z 0–9 - _ . ! ~ * ' ( ). */
const UNRESERVED = (() => {
  const table = new Uint8Array(65536);
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()";
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
})();

/** The prefix name of a full key or of a Redis key written by this cache (`ns:{prefix:id}...`). */
export function prefixNameOf(key: string): string | undefined {
  const open = key.indexOf('{');
  const start = open === -1 ? 0 : open + 1;
  const colon = key.indexOf(':', start);
  return colon === -1 ? undefined : key.slice(start, colon);
}

/**
 * Redis key names. The full key sits in a hash tag, so an entry, its version counter and its
 * load lock live in one slot and can be read and written together in one round trip.
 */
export class RedisKeyspace {
  constructor(readonly namespace: string) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(namespace)) throw new Error(`invalid cache namespace "${namespace}"`);
  }
  value(full: string): string {
    return `${this.namespace}:{${full}}`;
  }
  version(full: string): string {
    return `${this.namespace}:{${full}}:v`;
  }
  lock(full: string): string {
    return `${this.namespace}:{${full}}:l`;
  }
  tag(tag: string): string {
    return `${this.namespace}:tag:{${tag}}`;
  }
  channel(): string {
    return `${this.namespace}:invalidation`;
  }
  /** Full key of a value key, or undefined for the cache's other keys (versions, locks, tags). */
  fullKeyOf(redisKey: string): string | undefined {
    const head = `${this.namespace}:{`;
    if (!redisKey.startsWith(head) || !redisKey.endsWith('}')) return undefined;
    return redisKey.slice(head.length, -1);
  }
}
