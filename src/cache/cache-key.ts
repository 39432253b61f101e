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

/** Slots per prefix in the table of integer-id keys: direct-mapped, so a bounded few hundred KiB at most. */
const INTEGER_KEY_SLOTS = 4_096;

interface IntegerKeyTable {
  readonly prefix: RegisteredPrefix;
  /** The id each slot holds; NaN (never equal to an id) when empty. */
  readonly ids: Float64Array;
  readonly keys: (CacheKey | undefined)[];
}

/**
 * Builds keys, handing out the same key object again for a recent key of one integer part (a
 * product id, the hottest look-up). Rebuilding costs far more than its template string: a new
 * string is a new object, and every Map look-up with it (L1's regions, in-flight loads) must
 * hash it and compare it character by character with the stored key, where the very string
 * stored compares by identity (bench/cache-core.ts: ~150 ns more per look-up on this VM). Keys are
 * immutable, so sharing one is safe; the table is direct-mapped per prefix, so it stays bounded.
 */
export class KeyBuilder {
  private readonly tables: (IntegerKeyTable | undefined)[] = [];

  build(prefix: RegisteredPrefix, parts: readonly (string | number | boolean)[]): CacheKey {
    const id = parts.length === 1 ? parts[0] : undefined;
    if (typeof id === 'number' && Number.isSafeInteger(id)) return this.integerKey(prefix, id);
    return buildKey(prefix, parts);
  }

  private integerKey(prefix: RegisteredPrefix, id: number): CacheKey {
    let table = this.tables[prefix.index];
    if (table === undefined) {
      table = {
        prefix,
        ids: new Float64Array(INTEGER_KEY_SLOTS).fill(Number.NaN),
        keys: new Array<CacheKey | undefined>(INTEGER_KEY_SLOTS).fill(undefined),
      };
      this.tables[prefix.index] = table;
    }
    // A prefix object from elsewhere with the same index must not get this prefix's keys.
    if (table.prefix !== prefix) return buildKey(prefix, [id]);
    const slot = id & (INTEGER_KEY_SLOTS - 1);
    const held = table.keys[slot];
    if (held !== undefined && table.ids[slot] === id) return held;
    const key = buildKey(prefix, [id]);
    table.ids[slot] = id;
    table.keys[slot] = key;
    return key;
  }
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
