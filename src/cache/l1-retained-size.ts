import type { CacheEntry } from './cache-entry.ts';

/**
 * What an L1 entry holds on the V8 heap, estimated from the stored representation rather than
 * from its JSON length: strings are one byte per character when every character is Latin-1 and
 * two otherwise, each object and array has its header and a slot per field, numbers outside
 * the small-integer range are boxed. Constants are for 64-bit Node without pointer compression
 * (the official builds); bench/l1-retained-bytes.ts checks them against measured heap growth.
 */
const WORD = 8;
const STRING_HEADER = 16;
const OBJECT_HEADER = 24;
/** JSArray (32) plus its backing FixedArray header (16). */
const ARRAY_HEADER = 48;
const HEAP_NUMBER = 16;
/** Below this depth values are walked; deeper ones (not produced by this service) are charged by their JSON size. */
const MAX_DEPTH = 12;
const TWO_BYTE = /[\u0100-\uffff]/;

export function stringBytes(s: string): number {
  return align(STRING_HEADER + (TWO_BYTE.test(s) ? 2 * s.length : s.length));
}

export function valueBytes(value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'string':
      return stringBytes(value);
    case 'number':
      return Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 ? 0 : HEAP_NUMBER;
    case 'object': {
      if (value === null) return 0;
      if (depth >= MAX_DEPTH) return 2 * (JSON.stringify(value)?.length ?? 0);
      if (Array.isArray(value)) {
        let bytes = ARRAY_HEADER + WORD * value.length;
        for (const item of value) bytes += valueBytes(item, depth + 1);
        return bytes;
      }
      let bytes = OBJECT_HEADER;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        // Property names live in the shared hidden class, not in each object: only the slot is paid.
        bytes += WORD + valueBytes((value as Record<string, unknown>)[key], depth + 1);
      }
      return bytes;
    }
    default:
      return 0;
  }
}

/**
 * Per entry outside the value: the CacheEntry object (header, five slots, two boxed timestamps),
 * its tag stamps, and lru-cache's bookkeeping for one key (a Map entry with its share of the
 * table's spare capacity, plus slots in its key, value, link, size and TTL arrays).
 */
const ENTRY_OBJECT = OBJECT_HEADER + 5 * WORD + 2 * HEAP_NUMBER;
const TAG_STAMP = WORD + OBJECT_HEADER + 2 * WORD;
const LRU_SLOT = 48 + 5 * WORD;

export function retainedEntryBytes(key: string, entry: CacheEntry<unknown>): number {
  return (
    stringBytes(key) + ENTRY_OBJECT + ARRAY_HEADER + TAG_STAMP * entry.tags.length + LRU_SLOT + valueBytes(entry.value)
  );
}

function align(n: number): number {
  return (n + 7) & ~7;
}
