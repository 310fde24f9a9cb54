import { UnauthenticatedError } from '@kith/errors';
import type { Kysely } from 'kysely';
import type { Account, AuthDatabase } from '../db/schema.js';
import { findAccountById } from './account-store.js';
import { lockoutOf } from './lockout.js';

/**
 * The caller's own account; a missing one, or one locked out at `now` (disabled, banned,
 * suspended), means the credentials are no good. `restricted: 'allowed'` lets a banned or
 * suspended account through, for the few methods its restricted session may call.
 */
export async function loadCallerAccount(
  db: Kysely<AuthDatabase>,
  userId: string,
  now: Date,
  options: { forUpdate?: boolean; restricted?: 'allowed' } = {},
): Promise<Account> {
  const account = await findAccountById(db, userId, options);
  const lockout = account && lockoutOf(account, now);
  if (!account || lockout === 'disabled') throw new UnauthenticatedError();
  if (lockout !== null && options.restricted !== 'allowed') throw new UnauthenticatedError();
  return account;
}
