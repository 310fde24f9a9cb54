import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '@kith/logging';
import { createMemoryRateLimiter, limitResult } from './memory-rate-limiter.js';
import type { Redis } from './redis-client.js';
import { scripted } from './redis-scripts.js';
import type { ScriptedRedis } from './redis-scripts.js';

export interface RateLimitResult {
  allowed: boolean;
  /** Points left in the current window. */
  remaining: number;
  /** Points per window (the policy's quota). */
  limit: number;
  /** Window length in seconds (the policy's `w`). */
  windowSec: number;
  /** Milliseconds until the window (or block) ends and points are available again. */
  resetMs: number;
  /** 0 when allowed; otherwise how long the client should wait. */
  retryAfterMs: number;
}

/** Counting is not an exception: exceeding the limit resolves with allowed=false. */
export interface RateLimiter {
  consume(key: string, points?: number): Promise<RateLimitResult>;
  /** Forgets the key's consumption and any block (for example after a successful login). */
  reset(key: string): Promise<void>;
}

/**
 * What a Redis failure means for a request:
 * - 'memory' (default): count in this process's memory until Redis is back, so limits stay
 *   roughly in force (per replica) instead of vanishing or locking everyone out;
 * - 'allow': fail open; 'deny': fail closed (for the most abuse-prone routes).
 */
export type StoreErrorPolicy = 'memory' | 'allow' | 'deny';

export interface RateLimiterOptions {
  store: 'memory' | { redis: Redis };
  keyPrefix: string;
  points: number;
  durationSec: number;
  /** Once exceeded, deny for this long instead of until the window ends. */
  blockDurationSec?: number;
  onStoreError?: StoreErrorPolicy;
  logger?: Logger;
}

/**
 * RateLimiterRedis counting with Kith's scripts (redis-scripts.ts says why): the library's own
 * `_upsert`, the store hook its limiters implement, builds a MULTI pipeline on every call, even
 * when it then runs its script instead. Anything unusual is left to the library.
 */
class ScriptedRateLimiterRedis extends RateLimiterRedis {
  readonly #redis: ScriptedRedis;

  constructor(options: ConstructorParameters<typeof RateLimiterRedis>[0], redis: ScriptedRedis) {
    super(options);
    this.#redis = redis;
  }

  _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false) {
    const seconds = Math.floor(msDuration / 1000);
    const ready = (this as unknown as { _isRedisReady(): boolean })._isRedisReady();
    if (ready && Number.isInteger(points) && (forceExpire || seconds > 0)) {
      return forceExpire
        ? this.#redis.kithRateSet(rlKey, points, seconds)
        : this.#redis.kithRateIncr(rlKey, points, seconds);
    }
    const upsert = RateLimiterRedis.prototype as unknown as {
      _upsert(this: RateLimiterRedis, ...args: unknown[]): Promise<unknown>;
    };
    return upsert._upsert.call(this, rlKey, points, msDuration, forceExpire);
  }
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { store, keyPrefix, points, durationSec, blockDurationSec = 0 } = options;
  const onStoreError = options.onStoreError ?? 'memory';
  if (!keyPrefix) throw new Error('keyPrefix is required');
  for (const [name, value] of Object.entries({ points, durationSec, blockDurationSec })) {
    if (!Number.isSafeInteger(value) || value < (name === 'blockDurationSec' ? 0 : 1)) {
      throw new RangeError(`${name} must be a positive integer`);
    }
  }
  if (store === 'memory') return createMemoryRateLimiter({ points, durationSec, blockDurationSec });
  const base = { keyPrefix, points, duration: durationSec, blockDuration: blockDurationSec };
  const limiter: RateLimiterAbstract = new ScriptedRateLimiterRedis(
    {
      ...base,
      // ioredis is detected by the library itself (useRedisPackage is for node-redis).
      storeClient: store.redis,
      // Do not queue behind a reconnect: go to the insurance limiter (or throw) at once.
      rejectIfRedisNotReady: true,
      ...(onStoreError === 'memory' ? { insuranceLimiter: new RateLimiterMemory(base) } : {}),
    },
    scripted(store.redis),
  );

  const result = (allowed: boolean, res: RateLimiterRes): RateLimitResult =>
    limitResult(allowed, res.remainingPoints, res.msBeforeNext, { points, durationSec });

  return {
    consume(key, cost = 1) {
      return limiter.consume(key, cost).then(allowed, refused);
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };

  function allowed(res: RateLimiterRes): RateLimitResult {
    return result(true, res);
  }
  function refused(outcome: unknown): RateLimitResult {
    if (outcome instanceof RateLimiterRes) return result(false, outcome);
    if (onStoreError === 'memory') throw outcome;
    options.logger?.warn({ err: outcome, keyPrefix }, 'rate limit store failed');
    const windowMs = durationSec * 1000;
    return onStoreError === 'allow'
      ? limitResult(true, points, windowMs, { points, durationSec })
      : limitResult(false, 0, windowMs, { points, durationSec });
  }
}
