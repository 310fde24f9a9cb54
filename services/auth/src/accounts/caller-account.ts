import { UnauthenticatedError } from '@kith/errors';
import type { Kysely } from 'kysely';
import type { Account, AuthDatabase } from '../db/schema.js';
import { findAccountById } from './account-store.js';

/** The caller's own account; a missing or disabled one means the credentials are no good. */
export async function loadCallerAccount(
  db: Kysely<AuthDatabase>,
  userId: string,
  options: { forUpdate?: boolean } = {},
): Promise<Account> {
  const account = await findAccountById(db, userId, options);
  if (!account || account.disabled_at !== null) throw new UnauthenticatedError();
  return account;
}
