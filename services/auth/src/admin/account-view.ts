import type { Kysely } from 'kysely';
import { toAccountMessage } from '../accounts/account-message.js';
import { linkedIdentities, unusedRecoveryCodes } from '../accounts/account-store.js';
import type { Account, AuthDatabase } from '../db/schema.js';

export type AccountMessage = ReturnType<typeof toAccountMessage>;

/** The account as staff see it: the same view the owner gets from GetAccount. */
export async function accountView(
  db: Kysely<AuthDatabase>,
  account: Account,
): Promise<AccountMessage> {
  // One after the other: `db` may be a transaction, which runs one query at a time.
  const recoveryCodesRemaining = await unusedRecoveryCodes(db, account.id);
  const identities = await linkedIdentities(db, account.id);
  return toAccountMessage(account, { recoveryCodesRemaining, identities });
}
