/** Lua scripts, each touching keys of one slot (the caller's keys share a hash tag). */

/**
 * Write an entry only if its key's version is still the one read before loading. A write that
 * raced ahead of ours has bumped the version, so our older value is dropped instead of
 * overwriting the invalidation.
 * KEYS: value, version. ARGV: expected version ('' for none), payload, ttl ms.
 */
export const SET_IF_VERSION = `
local current = redis.call('GET', KEYS[2])
if (current or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

/**
 * Invalidate one key: bump its version (so in-flight loads cannot write back) and delete it.
 * KEYS: value, version. ARGV: version ttl ms.
 */
export const INVALIDATE_KEY = `
local v = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return v
`;

/** Release a load lock only if we still hold it. KEYS: lock. ARGV: token. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
