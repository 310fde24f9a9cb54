import type { Redis } from './redis-client.js';

/**
 * The Lua scripts Kith runs where it needs several Redis commands as one: each is a single
 * command on the client (EVALSHA, EVAL once after a restart), atomic as MULTI/EXEC is.
 *
 * Why not MULTI: every ioredis Pipeline defines an accessor on its instance, so V8 gives each
 * one a map of its own, and a map lives until a full collection: the pipeline, its commands
 * and their promises survive every scavenge in between and are promoted. One pipeline per
 * request (a rate limit, a cached list read) made every scavenge of a service copy about half
 * a megabyte, 3–9 ms each, in the tail of one call in a hundred (`pnpm bench:redis`).
 */
const SCRIPTS = {
  /** KEYS[1] a counter; ARGV[1] its TTL in ms when it is born. The new value. */
  kithCounterIncr: {
    numberOfKeys: 1,
    lua: `redis.call('set', KEYS[1], '0', 'PX', ARGV[1], 'NX')
return redis.call('incr', KEYS[1])`,
  },
  /**
   * KEYS the lists; ARGV[1] the cap, ARGV[2..] the items, last first. To each list that
   * exists (LPUSHX), trimmed to the cap; a list that does not exist is not started.
   */
  kithListPushEach: {
    lua: `local cap = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  if redis.call('lpushx', key, unpack(ARGV, 2)) > 0 then redis.call('ltrim', key, 0, cap - 1) end
end
return #KEYS`,
  },
  /** KEYS[1] a list; ARGV[1] its TTL in ms, ARGV[2..] the items in order (none: deleted). */
  kithListReplace: {
    numberOfKeys: 1,
    lua: `redis.call('del', KEYS[1])
if #ARGV > 1 then
  redis.call('rpush', KEYS[1], unpack(ARGV, 2))
  redis.call('pexpire', KEYS[1], ARGV[1])
end
return 1`,
  },
  /** KEYS[1] a list; ARGV[1] a TTL in ms. Its items with its TTL renewed, or nil if none. */
  kithListRead: {
    numberOfKeys: 1,
    lua: `if redis.call('pexpire', KEYS[1], ARGV[1]) == 0 then return false end
return redis.call('lrange', KEYS[1], 0, -1)`,
  },
  /**
   * A rate limiter's count, as rate-limiter-flexible's own script (`rlflxIncr`): KEYS[1] the
   * key; ARGV[1] points, ARGV[2] the window in s. {consumed, ms to the window's end}.
   */
  kithRateIncr: {
    numberOfKeys: 1,
    lua: `redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX')
local consumed = redis.call('incrby', KEYS[1], ARGV[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], ARGV[2])
  ttl = 1000 * ARGV[2]
end
return {consumed, ttl}`,
  },
  /** KEYS[1] a key; ARGV[1] points, ARGV[2] s to expire (0: never). A block's count. */
  kithRateSet: {
    numberOfKeys: 1,
    lua: `if tonumber(ARGV[2]) > 0 then
  redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  redis.call('set', KEYS[1], ARGV[1])
end
return {tonumber(ARGV[1]), redis.call('pttl', KEYS[1])}`,
  },
} as const;

type Arg = string | number;

/** A client that runs Kith's scripts as commands. */
export interface ScriptedRedis {
  kithCounterIncr(key: string, ttlMs: Arg): Promise<number>;
  /** `kithListPushEach(keys.length, ...keys, cap, ...items)` */
  kithListPushEach(numberOfKeys: number, ...keysThenArgs: Arg[]): Promise<number>;
  kithListReplace(key: string, ttlMs: Arg, ...items: string[]): Promise<number>;
  kithListRead(key: string, ttlMs: Arg): Promise<string[] | null>;
  kithRateIncr(key: string, points: Arg, windowSec: Arg): Promise<[number, number]>;
  kithRateSet(key: string, points: Arg, expireSec: Arg): Promise<[number, number]>;
}

/** `client`, with Kith's scripts defined on it (once per client). */
export function scripted(client: Redis): Redis & ScriptedRedis {
  const target = client as Redis & Partial<ScriptedRedis>;
  for (const [name, definition] of Object.entries(SCRIPTS)) {
    if (!(name in target)) client.defineCommand(name, definition);
  }
  return target as Redis & ScriptedRedis;
}
