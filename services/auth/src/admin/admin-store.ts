import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/schema.js';

// The staff console's account writes: plain functions of the handle they run on.

export async function disableAccountRow(
  db: Kysely<AuthDatabase>,
  accountId: string,
  input: { reason: string; by: string; now: Date },
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({
      disabled_at: input.now,
      disabled_reason: input.reason,
      disabled_by: input.by,
      updated_at: input.now,
    })
    .where('id', '=', accountId)
    .execute();
}

export async function enableAccountRow(
  db: Kysely<AuthDatabase>,
  accountId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ disabled_at: null, disabled_reason: '', disabled_by: null, updated_at: now })
    .where('id', '=', accountId)
    .execute();
}

/** True when the account holds a recovery code. */
export async function hasRecoveryCodes(
  db: Kysely<AuthDatabase>,
  accountId: string,
): Promise<boolean> {
  const codes = await db
    .selectFrom('recovery_codes')
    .select('id')
    .where('account_id', '=', accountId)
    .limit(1)
    .execute();
  return codes.length > 0;
}
