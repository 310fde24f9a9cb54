import type { Kysely } from 'kysely';
import { UnauthenticatedError } from '@kith/errors';
import type { Account, AuthDatabase } from './schema.js';

/** The caller's own account; a missing or disabled one means the credentials are no good. */
export async function loadCallerAccount(
  db: Kysely<AuthDatabase>,
  userId: string,
  options: { forUpdate?: boolean } = {},
): Promise<Account> {
  let query = db.selectFrom('accounts').selectAll().where('id', '=', userId);
  if (options.forUpdate) query = query.forUpdate();
  const account = await query.executeTakeFirst();
  if (!account || account.disabled_at !== null) throw new UnauthenticatedError();
  return account;
}
