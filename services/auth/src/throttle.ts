import { isIP } from 'node:net';
import type { Cache, RateLimiter } from '@kith/cache';
import { clientKey } from '@kith/cache';
import { ResourceExhaustedError } from '@kith/errors';
import { sha256Hex } from './crypto/secrets.js';

/**
 * Failures before delays start, and the longest delay: slows guessing. The delay is per
 * (identifier, network) and per (identifier, known device), so nobody else's failures lock the
 * owner out.
 */
const FREE_FAILURES = 5;
const MAX_DELAY_MS = 15 * 60_000;
const FAILURE_MEMORY_MS = 3600_000;

/** One check of a password or code. */
export interface CredentialAttempt {
  /** Client address. */
  ip: string;
  /** What the caller typed, or the account a signed-in check is about (never "does it exist"). */
  identifier: string;
  /**
   * An origin only the owner holds, proven before the check: a known device (its credential,
   * bound to this account) or the signed-in session. Undefined for anyone else.
   */
  trustedOrigin?: string;
}

/**
 * The network a client address belongs to: its /24 (IPv4) or /64 (IPv6). Failed logins count
 * per network, so one attacker cannot dodge the delay by walking a block of addresses.
 */
export function networkKey(ip: string): string {
  const key = clientKey(ip);
  if (isIP(key) !== 4) return key;
  return `${key.slice(0, key.lastIndexOf('.'))}.0/24`;
}

/**
 * A password or code check on a signed-in session (re-authentication, current password or
 * factor): counted per (account, session), so failures on another session, a thief's, never
 * delay the owner's. Without a session (not a user token) it counts like any other client.
 */
export function signedInAttempt(
  meta: { ip: string },
  identifier: string,
  principal: { sessionId?: string },
): CredentialAttempt {
  return {
    ip: meta.ip,
    identifier,
    trustedOrigin: principal.sessionId === undefined ? undefined : `session:${principal.sessionId}`,
  };
}

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
  // Every untrusted attempt on one identifier, from anywhere: bounds a guesser spread over many
  // networks. Far above what an owner types; an owner on a known device is not counted here.
  const loginPerAccount = options.rateLimiter({
    keyPrefix: 'auth:login:id',
    points: 100,
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

  /**
   * Where a failure counts: a trusted origin (a known device, a signed-in session) has its own
   * count, so strangers' failures never delay it; anyone else shares the count of their network
   * (/24, /64), so strangers elsewhere cannot delay the owner either.
   */
  const failureKey = (attempt: CredentialAttempt) => {
    const origin =
      attempt.trustedOrigin === undefined
        ? `net:${networkKey(attempt.ip)}`
        : `origin:${attempt.trustedOrigin}`;
    return `auth:fail:${sha256Hex(`${attempt.identifier}\n${origin}`)}`;
  };

  return {
    /**
     * Login, CompleteMfa, re-authentication: the growing delay of this (identifier, origin);
     * for an untrusted origin also the per-address limit and the per-identifier cap first.
     */
    async beforePasswordCheck(attempt: CredentialAttempt): Promise<void> {
      if (attempt.trustedOrigin === undefined) {
        await consume(loginPerIp, clientKey(attempt.ip));
        await consume(loginPerAccount, sha256Hex(attempt.identifier));
      }
      const raw = await cache.get(failureKey(attempt));
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
    /** After a wrong password or code: each failure past the first few doubles the wait. */
    async recordFailure(attempt: CredentialAttempt): Promise<void> {
      const key = failureKey(attempt);
      const raw = await cache.get(key);
      const failures = (raw === null ? 0 : (JSON.parse(raw) as { failures: number }).failures) + 1;
      const delay =
        failures <= FREE_FAILURES
          ? 0
          : Math.min(1000 * 2 ** (failures - FREE_FAILURES), MAX_DELAY_MS);
      await cache.set(key, JSON.stringify({ failures, until: clock().getTime() + delay }), {
        ttlMs: FAILURE_MEMORY_MS,
      });
    },
    async recordSuccess(attempt: CredentialAttempt): Promise<void> {
      await cache.del(failureKey(attempt));
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
