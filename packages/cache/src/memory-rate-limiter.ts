import type { RateLimiter, RateLimitResult } from './rate-limiter.js';

interface Window {
  consumed: number;
  /** When the window (or the block) ends, ms since the epoch. */
  endsAt: number;
}

/**
 * Fixed windows in this process's memory, counted as rate-limiter-flexible's RateLimiterMemory
 * counts them (a window starts with a key's first point; exceeding it the first time starts a
 * block of `blockMs` instead, when one is set), without its per-call promise, result object and
 * per-key timer: ended windows are swept once a window's length has passed. Every RPC of an
 * embedded Kith counts here twice (per client and per user).
 */
export function createMemoryRateLimiter(options: {
  points: number;
  durationSec: number;
  blockDurationSec: number;
}): RateLimiter {
  const { points, durationSec } = options;
  const windowMs = durationSec * 1000;
  const blockMs = options.blockDurationSec * 1000;
  const windows = new Map<string, Window>();
  let sweepAt = Date.now() + windowMs;

  const sweep = (now: number): void => {
    sweepAt = now + windowMs;
    for (const [key, window] of windows) if (window.endsAt <= now) windows.delete(key);
  };

  const consume = (key: string, cost: number): RateLimitResult => {
    const now = Date.now();
    if (now >= sweepAt) sweep(now);
    let window = windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      window = { consumed: cost, endsAt: now + windowMs };
      windows.set(key, window);
    } else {
      window.consumed += cost;
    }
    if (window.consumed > points && blockMs > 0 && window.consumed <= points + cost) {
      // Exceeded by this call: blocked from now, for the block's length.
      window.endsAt = now + blockMs;
    }
    return limitResult(window.consumed <= points, points - window.consumed, window.endsAt - now, {
      points,
      durationSec,
    });
  };

  return {
    consume: (key, cost = 1) => Promise.resolve(consume(key, cost)),
    reset(key) {
      windows.delete(key);
      return Promise.resolve();
    },
  };
}

/** A count's answer from what is left and when the window (or block) ends; shared by the stores. */
export function limitResult(
  allowed: boolean,
  remainingPoints: number,
  msBeforeNext: number,
  policy: { points: number; durationSec: number },
): RateLimitResult {
  return {
    allowed,
    remaining: Math.max(0, remainingPoints),
    limit: policy.points,
    windowSec: policy.durationSec,
    resetMs: Math.max(0, msBeforeNext),
    retryAfterMs: allowed ? 0 : Math.max(1, msBeforeNext),
  };
}
