import { UnauthenticatedError } from '@kith/errors';
import type { Account } from '../db/schema.js';

/**
 * Why an account may not sign in or use any credential right now: disabled by staff, or banned
 * or suspended by moderation. Every path that hands out or accepts a credential (Login,
 * CompleteMfa, Refresh, FinishOAuthLogin, API-key introspection, signed-in calls, password
 * reset) refuses all three alike.
 */
export type Lockout = 'disabled' | 'banned' | 'suspended';

export type AccountStanding = Pick<
  Account,
  'disabled_at' | 'moderation_banned' | 'moderation_suspended' | 'moderation_suspended_until'
>;

/**
 * The account's lockout at `now`, or null. A suspension past its `until` is over even before
 * moderation's reversal arrives; one without an `until` lasts until it is lifted.
 */
export function lockoutOf(account: AccountStanding, now: Date): Lockout | null {
  if (account.disabled_at !== null) return 'disabled';
  if (account.moderation_banned) return 'banned';
  if (!account.moderation_suspended) return null;
  const until = account.moderation_suspended_until;
  return until === null || until > now ? 'suspended' : null;
}

/**
 * What the owner is told once their credential is proven (the password verified, the provider
 * vouched for the identity): the same Unauthenticated a disabled account gets, saying why, so a
 * client can point to moderation's statement of reasons and appeal. Someone who has not proven
 * the credential never gets this far and learns nothing (see password-login.ts).
 */
export function moderationLockoutError(lockout: 'banned' | 'suspended'): UnauthenticatedError {
  return new UnauthenticatedError(
    lockout === 'banned' ? 'this account is banned' : 'this account is suspended',
  );
}
