import { prefixNameOf } from './cache-key.ts';
import type { CacheStack } from './cache-stack.ts';
import { PrefixRegistry } from './prefix-registry.ts';
import { stampsAreCurrent } from './tag-versions.ts';

export interface KeyInspection {
  key: string;
  prefix: string;
  l1: { present: boolean; freshForMs?: number; staleForMs?: number; bytes?: number; current?: boolean };
  l2:
    | { present: boolean; ttlMs?: number; bytes?: number; slot?: number; node?: string; error?: string }
    | { disabled: true };
}

/** Admin inspection of one key in both tiers. */
export async function inspectKey(stack: CacheStack, full: string): Promise<KeyInspection> {
  const prefixName = prefixNameOf(full) ?? PrefixRegistry.OTHER;
  const now = stack.now();
  const e = stack.l1.peek(full);
  const l1 = e
    ? {
        present: true,
        freshForMs: e.freshUntil - now,
        staleForMs: e.staleUntil - now,
        bytes: e.size,
        current: stampsAreCurrent(e.tags),
      }
    : { present: false };
  const l2 = stack.l2;
  if (!l2) return { key: full, prefix: prefixName, l1, l2: { disabled: true } };
  const owner = l2.slotOwner(full);
  try {
    const [ttl, bytes] = await Promise.all([l2.pttl(full), l2.strlen(full)]);
    return {
      key: full,
      prefix: prefixName,
      l1,
      l2: { present: ttl !== -2, ...(ttl >= 0 ? { ttlMs: ttl } : {}), bytes, ...owner },
    };
  } catch (error) {
    return {
      key: full,
      prefix: prefixName,
      l1,
      l2: { present: false, ...owner, error: error instanceof Error ? error.message : String(error) },
    };
  }
}
