/**
 * Group invalidation by version: an entry remembers the version of each of its tags when it
 * was loaded, and is stale as soon as any of those tags has moved on. Pages that cannot be
 * enumerated (every search, every sort order) are dropped by bumping one number.
 */
export class TagState {
  version = 0;
  /** False until the version has been read from Redis (or after a gap in the invalidation bus). */
  synced = false;
  constructor(readonly name: string) {}
}

export interface TagStamp {
  readonly tag: TagState;
  readonly version: number;
}

export class TooManyTagsError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} distinct cache tags`);
    this.name = 'TooManyTagsError';
  }
}

/** Tags every entry carries: one for the whole cache and one for its prefix. */
export const GLOBAL_TAG = '*';
export const prefixTag = (prefix: string): string => `${prefix}:*`;

export class TagVersions {
  private readonly states = new Map<string, TagState>();

  /** Tags are never evicted (entries hold their state objects), so their number is capped instead. */
  constructor(private readonly maxTags: number) {}

  state(name: string): TagState {
    let state = this.states.get(name);
    if (!state) {
      if (this.states.size >= this.maxTags) throw new TooManyTagsError(this.maxTags);
      state = new TagState(name);
      this.states.set(name, state);
    }
    return state;
  }

  /** Versions only move forward, whatever order messages arrive in. */
  advance(name: string, version: number): boolean {
    const state = this.state(name);
    if (version <= state.version) return false;
    state.version = version;
    return true;
  }

  stamp(states: readonly TagState[]): TagStamp[] {
    return states.map((tag) => ({ tag, version: tag.version }));
  }

  unsynced(states: readonly TagState[]): TagState[] {
    return states.filter((s) => !s.synced);
  }

  /** After a gap in the bus, every version must be read again before L2 entries can be trusted. */
  markAllUnsynced(): void {
    for (const state of this.states.values()) state.synced = false;
  }

  get size(): number {
    return this.states.size;
  }
}

export function stampsAreCurrent(stamps: readonly TagStamp[]): boolean {
  for (let i = 0; i < stamps.length; i++) {
    const s = stamps[i]!;
    if (s.tag.version > s.version) return false;
  }
  return true;
}
