import type { AccountEnforcement } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/schema.js';

/**
 * Stores the account's enforcement as of `version`, only when that is newer than the version
 * stored: an older or repeated event changes nothing. True when it was stored.
 */
export async function applyAccountEnforcement(
  db: Kysely<AuthDatabase>,
  accountId: string,
  version: bigint,
  enforcement: AccountEnforcement,
): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set({
      moderation_version: version.toString(),
      moderation_limited: enforcement.limited,
      moderation_suspended: enforcement.suspended,
      moderation_suspended_until: enforcement.suspendedUntil,
      moderation_banned: enforcement.banned,
    })
    .where('id', '=', accountId)
    .where('moderation_version', '<', version.toString())
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
