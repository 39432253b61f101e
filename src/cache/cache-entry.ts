import type { TagStamp, TagVersions } from './tag-versions.ts';

/** One cached value with its freshness window and the tag versions it was loaded under. */
export interface CacheEntry<T> {
  readonly value: T;
  /** When the load that produced it started: an invalidation sent later makes it old. */
  readonly loadedAt: number;
  readonly freshUntil: number;
  readonly staleUntil: number;
  readonly tags: readonly TagStamp[];
  /** Approximate bytes held in L1 (UTF-16 of the serialized form plus bookkeeping). */
  readonly size: number;
}

const ENTRY_OVERHEAD_BYTES = 96;

/** What goes to Redis: short field names, because every byte is paid per key. */
interface WireEntry {
  v: unknown;
  /** loadedAt; absent in entries written before it existed. */
  l?: number;
  f: number;
  s: number;
  t: [string, number][];
}

export function serializeEntry(
  value: unknown,
  loadedAt: number,
  freshUntil: number,
  staleUntil: number,
  tags: readonly TagStamp[],
): string {
  const wire: WireEntry = {
    v: value,
    l: loadedAt,
    f: freshUntil,
    s: staleUntil,
    t: tags.map((s) => [s.tag.name, s.version]),
  };
  return JSON.stringify(wire);
}

export class CorruptEntryError extends Error {
  constructor(reason: string) {
    super(`cache entry in L2 cannot be decoded: ${reason}`);
    this.name = 'CorruptEntryError';
  }
}

export function deserializeEntry<T>(raw: string, tags: TagVersions): CacheEntry<T> {
  let wire: unknown;
  try {
    wire = JSON.parse(raw);
  } catch (error) {
    throw new CorruptEntryError(error instanceof Error ? error.message : String(error));
  }
  if (!isWireEntry(wire)) throw new CorruptEntryError('unexpected shape');
  return {
    value: wire.v as T,
    loadedAt: wire.l ?? 0,
    freshUntil: wire.f,
    staleUntil: wire.s,
    tags: wire.t.map(([name, version]) => ({ tag: tags.state(name), version })),
    size: entrySize(raw),
  };
}

export function entrySize(serialized: string): number {
  return serialized.length * 2 + ENTRY_OVERHEAD_BYTES;
}

function isWireEntry(x: unknown): x is WireEntry {
  if (typeof x !== 'object' || x === null) return false;
  const w = x as Record<string, unknown>;
  return (
    'v' in w &&
    typeof w.f === 'number' &&
    typeof w.s === 'number' &&
    (w.l === undefined || typeof w.l === 'number') &&
    Array.isArray(w.t) &&
    w.t.every((p) => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number')
  );
}
