import { createHash } from 'node:crypto';

/*
 * Lua scripts of RedisTokenStore. Each runs atomically inside Redis, which is what makes a read-check-write
 * safe across every process and machine sharing the store: no other command can slip in between.
 *
 * Every script touches only keys of one account. The account sits in `{…}` (a Redis Cluster hash tag) in
 * all of them, so the keys of one account always share a slot.
 */

/** A Lua script with its SHA1, for EVALSHA with an EVAL fallback. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * Compare-and-set of an account's pair.
 *
 * KEYS[1] tokens hash (`version`, `tokens`); ARGV: expectedVersion, tokens payload, channel, instance id, account.
 * The hash keeps `version` after a delete (a tombstone), so versions never go backwards: the "current"
 * version a writer must name is 0 while no pair is stored, but the new version continues from the tombstone.
 * Returns `{1, newVersion}` or `{0, currentVersion}` (nothing written).
 */
export const SET_SCRIPT = script(
  'set',
  `
local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '0') or 0
local current = stored
if redis.call('HEXISTS', KEYS[1], 'tokens') == 0 then current = 0 end
local expected = tonumber(ARGV[1])
if current ~= expected then return {0, current} end
local version = stored + 1
redis.call('HSET', KEYS[1], 'version', version, 'tokens', ARGV[2])
redis.call('PUBLISH', ARGV[3], cjson.encode({type = 'set', account = ARGV[5], version = version, instance = ARGV[4]}))
return {1, version}
`,
);

/**
 * Removes an account's pair but keeps its version as a tombstone.
 *
 * KEYS[1] tokens hash; ARGV: channel, instance id, account. Returns 1 when a pair was removed, else 0.
 */
export const DELETE_SCRIPT = script(
  'delete',
  `
local removed = redis.call('HDEL', KEYS[1], 'tokens')
if removed == 1 then
  local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0') or 0
  redis.call('PUBLISH', ARGV[1], cjson.encode({type = 'delete', account = ARGV[3], version = version, instance = ARGV[2]}))
end
return removed
`,
);

/**
 * Sliding-window reservation of one password/code grant.
 *
 * KEYS[1] sorted set (score = attempt time); ARGV: now, windowMs, limit, unique member.
 * Attempts at or before `now - windowMs` are dropped; later ones count, including ones ahead of `now`
 * (another machine's clock may run ahead, and Act-On may still hold those against the account).
 * A refused attempt is not added, so hammering a spent budget does not push the reopening further out.
 * Returns `{1, used}` or `{0, used, scoreOfTheAttemptWhoseExitFreesASlot}` (a string: Lua would truncate floats).
 */
export const RESERVE_SCRIPT = script(
  'reserve',
  `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  local ttl = math.ceil(tonumber(newest[2]) + window - now)
  if ttl < 1 then ttl = 1 end
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, used + 1}
end
if limit <= 0 then return {0, used, ''} end
local freeing = redis.call('ZRANGE', KEYS[1], used - limit, used - limit, 'WITHSCORES')
return {0, used, freeing[2]}
`,
);

/**
 * Tries to take an account's grant lock.
 *
 * KEYS[1] lock key, KEYS[2] fencing counter; ARGV: token prefix, lease ms.
 * The fencing counter only grows on a successful acquisition, so it numbers the holders in order.
 * Returns `{1, fence}` (the lock now holds `prefix:fence`) or `{0, pttl}` of the current holder.
 */
export const ACQUIRE_SCRIPT = script(
  'acquire',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('PTTL', KEYS[1])}
end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', ARGV[2], 'NX')
return {1, fence}
`,
);

/**
 * Releases an account's grant lock if it still holds our token (compare-and-delete), and tells waiters.
 *
 * KEYS[1] lock key; ARGV: token, channel, instance id, account. Returns 1 if released, 0 if the lock had
 * already passed on (our lease ran out), in which case nothing is touched.
 */
export const RELEASE_SCRIPT = script(
  'release',
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], cjson.encode({type = 'release', account = ARGV[4], instance = ARGV[3]}))
return 1
`,
);

/**
 * Extends an account's grant lock if it still holds our token (compare-and-expire): a live holder renews its
 * short lease while it works, so a dead one frees the lock quickly and a slow one keeps it.
 *
 * KEYS[1] lock key; ARGV: token, new lease ms. Returns 1 if extended, 0 if the lock had passed on (nothing touched).
 */
export const RENEW_SCRIPT = script(
  'renew',
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`,
);
