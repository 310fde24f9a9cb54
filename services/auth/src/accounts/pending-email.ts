import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/schema.js';
import { clearPendingEmail, retireEmailTokens } from './account-store.js';

/**
 * Drops a pending e-mail change and retires its links (the confirmation mailed to the new
 * address and the cancel link mailed to the old one). Every credential change and LogoutAll
 * calls this: a change someone started with a password the owner has since replaced must not
 * complete afterwards. Returns whether a change was pending.
 */
export async function dropPendingEmailChange(
  trx: Kysely<AuthDatabase>,
  accountId: string,
  now: Date,
): Promise<boolean> {
  const dropped = await clearPendingEmail(trx, accountId, now);
  await retireEmailTokens(trx, accountId, ['change_email', 'cancel_email_change'], now);
  return dropped;
}
