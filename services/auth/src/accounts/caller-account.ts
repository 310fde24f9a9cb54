import { UnauthenticatedError } from '@kith/errors';
import type { Kysely } from 'kysely';
import type { Account, AuthDatabase } from '../db/schema.js';
import { findAccountById } from './account-store.js';
import { lockoutOf } from './lockout.js';

/**
 * The caller's own account; a missing one, or one locked out at `now` (disabled, banned,
 * suspended), means the credentials are no good.
 */
export async function loadCallerAccount(
  db: Kysely<AuthDatabase>,
  userId: string,
  now: Date,
  options: { forUpdate?: boolean } = {},
): Promise<Account> {
  const account = await findAccountById(db, userId, options);
  if (!account || lockoutOf(account, now) !== null) throw new UnauthenticatedError();
  return account;
}
