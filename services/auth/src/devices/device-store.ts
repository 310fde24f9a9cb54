import type { Insertable, Kysely } from 'kysely';
import type { AuthDatabase, KnownDeviceTable } from '../db/schema.js';

// Known-device credentials: plain functions of the handle they run on.

/** The device with this credential hash, when it belongs to the account signing in by `column`. */
export function findDeviceForLoginName(
  db: Kysely<AuthDatabase>,
  tokenHash: string,
  column: 'email_canonical' | 'username_normalized',
  canonical: string,
) {
  return db
    .selectFrom('known_devices')
    .innerJoin('accounts', 'accounts.id', 'known_devices.account_id')
    .select(['known_devices.id', 'known_devices.account_id'])
    .where('known_devices.token_hash', '=', tokenHash)
    .where(`accounts.${column}`, '=', canonical)
    .executeTakeFirst();
}

/** The account's device with this credential hash. */
export function findAccountDevice(db: Kysely<AuthDatabase>, accountId: string, tokenHash: string) {
  return db
    .selectFrom('known_devices')
    .select(['id', 'account_id'])
    .where('token_hash', '=', tokenHash)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

export async function touchDevice(db: Kysely<AuthDatabase>, id: string, now: Date): Promise<void> {
  await db.updateTable('known_devices').set({ last_used_at: now }).where('id', '=', id).execute();
}

export async function insertDevice(
  db: Kysely<AuthDatabase>,
  row: Insertable<KnownDeviceTable>,
): Promise<void> {
  await db.insertInto('known_devices').values(row).execute();
}

export async function deleteAccountDevices(
  db: Kysely<AuthDatabase>,
  accountId: string,
): Promise<void> {
  await db.deleteFrom('known_devices').where('account_id', '=', accountId).execute();
}
