import type { L1Admission, PrefixRef } from './types.ts';

/** Per-prefix behaviour. The registry is the single source of these settings and of the `prefix` label. */
export interface PrefixPolicy {
  /** Lowercase identifier; appears in keys and as a metric label. */
  readonly name: string;
  /** How long an entry is served as fresh. */
  readonly freshMs: number;
  /** After freshness runs out, how long the entry may still be served while refreshing, or when the loader fails. */
  readonly graceMs: number;
  /** Fraction of freshMs added at random so entries loaded together do not expire together. */
  readonly jitter: number;
  /** Whether the in-process tier keeps this prefix (off for data that must never be stale per instance). */
  readonly l1: boolean;
  /** Serve a stale entry at once and refresh it in the background. */
  readonly staleWhileRevalidate: boolean;
  /** How a new key enters L1: through the admission window and frequency filter (`tinylfu`, the default) or always (`lru`). */
  readonly admission?: L1Admission;
  /** At most this fraction of L1's bytes, in (0, 1]; absent or 1: no cap of its own. */
  readonly l1ByteShare?: number;
  /**
   * Once a load (lock wait included) has run this long and a stale entry within grace exists,
   * that entry is served and the load finishes in the background. Absent: no soft timeout.
   */
  readonly softTimeoutMs?: number;
  /** After this long the caller gets the fail-safe value or a LoaderTimeoutError; the load goes on. Absent: none. */
  readonly hardTimeoutMs?: number;
  /**
   * Share of the fresh time after which an L1 hit also starts a background refresh, so hot keys
   * never go stale under steady traffic. 0 turns it off; default 0.8.
   */
  readonly eagerRefresh?: number;
}

export const DEFAULT_EAGER_REFRESH = 0.8;

export interface RegisteredPrefix extends PrefixRef, PrefixPolicy {}

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

export class UnknownPrefixError extends Error {
  constructor(readonly prefix: string) {
    super(`cache prefix "${prefix}" is not registered`);
    this.name = 'UnknownPrefixError';
  }
}

export class PrefixRegistry {
  /** The label for anything outside the registry, so label sets stay fixed. */
  static readonly OTHER = 'other';
  private readonly byName = new Map<string, RegisteredPrefix>();
  private readonly ordered: RegisteredPrefix[] = [];
  readonly other: RegisteredPrefix;

  constructor(policies: readonly PrefixPolicy[]) {
    for (const policy of policies) this.add(policy);
    this.other = {
      name: PrefixRegistry.OTHER,
      index: this.ordered.length,
      freshMs: 0,
      graceMs: 0,
      jitter: 0,
      l1: false,
      staleWhileRevalidate: false,
    };
  }

  private add(policy: PrefixPolicy): void {
    if (!NAME.test(policy.name) || policy.name === PrefixRegistry.OTHER)
      throw new Error(`invalid cache prefix name "${policy.name}"`);
    if (this.byName.has(policy.name)) throw new Error(`cache prefix "${policy.name}" registered twice`);
    if (!(policy.freshMs > 0) || policy.graceMs < 0 || policy.jitter < 0 || policy.jitter > 1) {
      throw new Error(`cache prefix "${policy.name}": freshMs must be > 0, graceMs >= 0, jitter in [0, 1]`);
    }
    const share = policy.l1ByteShare;
    if (share !== undefined && !(share > 0 && share <= 1))
      throw new Error(`cache prefix "${policy.name}": l1ByteShare must be in (0, 1]`);
    const { softTimeoutMs: soft, hardTimeoutMs: hard, eagerRefresh: eager } = policy;
    if ((soft !== undefined && !(soft > 0)) || (hard !== undefined && !(hard > 0)) || (soft && hard && soft > hard))
      throw new Error(`cache prefix "${policy.name}": timeouts must be > 0 and the soft one not above the hard one`);
    if (eager !== undefined && !(eager >= 0 && eager < 1))
      throw new Error(`cache prefix "${policy.name}": eagerRefresh must be in [0, 1)`);
    const registered: RegisteredPrefix = { ...policy, index: this.ordered.length };
    this.byName.set(policy.name, registered);
    this.ordered.push(registered);
  }

  get(name: string): RegisteredPrefix {
    const found = this.byName.get(name);
    if (!found) throw new UnknownPrefixError(name);
    return found;
  }

  find(name: string): RegisteredPrefix | undefined {
    return this.byName.get(name);
  }

  /** Registered prefixes in index order, then `other`: the complete label set. */
  labels(): readonly PrefixRef[] {
    return [...this.ordered, this.other];
  }

  all(): readonly RegisteredPrefix[] {
    return this.ordered;
  }
}
