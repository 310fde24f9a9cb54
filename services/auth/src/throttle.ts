import type { Cache, RateLimiter } from '@kith/cache';
import { clientKey } from '@kith/cache';
import { ResourceExhaustedError } from '@kith/errors';
import { sha256Hex } from './crypto/secrets.js';

/** Failures before delays start, and the longest delay: slows guessing, never locks anyone out. */
const FREE_FAILURES = 5;
const MAX_DELAY_MS = 15 * 60_000;
const FAILURE_MEMORY_MS = 3600_000;

type LimiterFactory = (o: {
  keyPrefix: string;
  points: number;
  durationSec: number;
}) => RateLimiter;

/**
 * Throttles for the credential endpoints (API.md defaults). Every check runs BEFORE any password
 * hash is computed, and keys on what the caller typed (never on whether an account exists), so
 * the answers are the same for known and unknown identifiers.
 */
export function createAuthThrottle(options: {
  rateLimiter: LimiterFactory;
  cache: Cache;
  clock: () => Date;
}) {
  const { cache, clock } = options;
  const loginPerIp = options.rateLimiter({
    keyPrefix: 'auth:login:ip',
    points: 25,
    durationSec: 300,
  });
  const loginPerAccount = options.rateLimiter({
    keyPrefix: 'auth:login:id',
    points: 25,
    durationSec: 3600,
  });
  const signUpPerIp = options.rateLimiter({
    keyPrefix: 'auth:signup:ip',
    points: 5,
    durationSec: 1800,
  });
  const mailPerAddress = options.rateLimiter({
    keyPrefix: 'auth:mail:to',
    points: 5,
    durationSec: 1800,
  });
  // Each start stores a state row and may fetch a provider's discovery document.
  const oauthStartPerIp = options.rateLimiter({
    keyPrefix: 'auth:oauth-start:ip',
    points: 30,
    durationSec: 300,
  });
  const mailPerIp = options.rateLimiter({
    keyPrefix: 'auth:mail:ip',
    points: 20,
    durationSec: 1800,
  });

  async function consume(limiter: RateLimiter, key: string): Promise<void> {
    const result = await limiter.consume(key);
    if (!result.allowed) {
      throw new ResourceExhaustedError({
        retryAfterMs: result.retryAfterMs,
        message: 'too many attempts; try again later',
      });
    }
  }

  const failureKey = (identifier: string) => `auth:fail:${sha256Hex(identifier)}`;

  return {
    /** Login, CompleteMfa, Reauthenticate: per client address and per identifier, then backoff. */
    async beforePasswordCheck(ip: string, identifier: string): Promise<void> {
      await consume(loginPerIp, clientKey(ip));
      await consume(loginPerAccount, sha256Hex(identifier));
      const raw = await cache.get(failureKey(identifier));
      if (raw === null) return;
      const { until } = JSON.parse(raw) as { failures: number; until: number };
      const wait = until - clock().getTime();
      if (wait > 0) {
        throw new ResourceExhaustedError({
          retryAfterMs: wait,
          message: 'too many failed attempts; try again later',
        });
      }
    },
    /** After a wrong password: each failure past the first few doubles the wait. */
    async recordFailure(identifier: string): Promise<void> {
      const raw = await cache.get(failureKey(identifier));
      const failures = (raw === null ? 0 : (JSON.parse(raw) as { failures: number }).failures) + 1;
      const delay =
        failures <= FREE_FAILURES
          ? 0
          : Math.min(1000 * 2 ** (failures - FREE_FAILURES), MAX_DELAY_MS);
      await cache.set(
        failureKey(identifier),
        JSON.stringify({ failures, until: clock().getTime() + delay }),
        { ttlMs: FAILURE_MEMORY_MS },
      );
    },
    async recordSuccess(identifier: string): Promise<void> {
      await cache.del(failureKey(identifier));
    },
    /** Only the per-address login limit: the state is random, no use as an identifier key. */
    async beforeOAuthFinish(ip: string): Promise<void> {
      await consume(loginPerIp, clientKey(ip));
    },
    async beforeOAuthStart(ip: string): Promise<void> {
      await consume(oauthStartPerIp, clientKey(ip));
    },
    async beforeSignUp(ip: string): Promise<void> {
      await consume(signUpPerIp, clientKey(ip));
    },
    /** Any mail a caller can trigger to an address (verification, reset, email change). */
    async beforeMail(ip: string, canonicalAddress: string): Promise<void> {
      await consume(mailPerIp, clientKey(ip));
      await consume(mailPerAddress, sha256Hex(canonicalAddress));
    },
  };
}

export type AuthThrottle = ReturnType<typeof createAuthThrottle>;
