import type { Account } from '../db/schema.js';

/**
 * Why an account may not use its credentials as usual right now: disabled by staff, or banned
 * or suspended by moderation. A disabled account gets nothing at all. A banned or suspended one
 * gets only a restricted session (restrictionOf): API keys, password reset, e-mail
 * verification and signed-in calls outside the restricted methods refuse all three alike.
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
 * Moderation's lockouts, which leave the account a restricted session (RESTRICTED_SCOPE in
 * @kith/context): a login, a second factor, an OIDC login and a refresh still hand out tokens,
 * scoped to reading the decisions, appealing them and taking the data out. A disabling by staff
 * leaves nothing.
 */
export function restrictionOf(account: AccountStanding, now: Date): 'banned' | 'suspended' | null {
  const lockout = lockoutOf(account, now);
  return lockout === 'disabled' ? null : lockout;
}
