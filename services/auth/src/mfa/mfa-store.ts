import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AuthDatabase, MfaChallengeTable } from '../db/schema.js';

// MFA challenges, recovery codes and the TOTP step: plain functions of the handle they run on.

export type MfaChallengeRow = Selectable<MfaChallengeTable>;

export async function insertChallenge(
  db: Kysely<AuthDatabase>,
  row: Insertable<MfaChallengeTable>,
): Promise<void> {
  await db.insertInto('mfa_challenges').values(row).execute();
}

/** The account a challenge with this hash belongs to, whatever its state. */
export function findChallengeAccount(db: Kysely<AuthDatabase>, tokenHash: string) {
  return db
    .selectFrom('mfa_challenges')
    .select('account_id')
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Counts an attempt on a live challenge with attempts left; undefined when there is none. */
export function countChallengeAttempt(
  db: Kysely<AuthDatabase>,
  tokenHash: string,
  now: Date,
  maxAttempts: number,
): Promise<MfaChallengeRow | undefined> {
  return db
    .updateTable('mfa_challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('token_hash', '=', tokenHash)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', now)
    .where('attempts', '<', maxAttempts)
    .returningAll()
    .executeTakeFirst();
}

/** Marks the challenge used; false when a concurrent call got there first. */
export async function markChallengeConsumed(
  db: Kysely<AuthDatabase>,
  challengeId: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('mfa_challenges')
    .set({ consumed_at: now })
    .where('id', '=', challengeId)
    .where('consumed_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Records `step` as the account's last used TOTP step unless one as late was used already. */
export async function advanceTotpStep(
  db: Kysely<AuthDatabase>,
  accountId: string,
  step: number,
  now: Date,
): Promise<boolean> {
  const updated = await db
    .updateTable('accounts')
    .set({ totp_last_step: step, updated_at: now })
    .where('id', '=', accountId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/** Burns the account's unused recovery code with this hash; false when there is none. */
export async function burnRecoveryCode(
  db: Kysely<AuthDatabase>,
  accountId: string,
  codeHash: string,
  now: Date,
): Promise<boolean> {
  const used = await db
    .updateTable('recovery_codes')
    .set({ used_at: now })
    .where('account_id', '=', accountId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return used.numUpdatedRows > 0n;
}

export async function deleteRecoveryCodes(
  db: Kysely<AuthDatabase>,
  accountId: string,
): Promise<void> {
  await db.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
}

export async function insertRecoveryCodes(
  db: Kysely<AuthDatabase>,
  rows: { id: string; accountId: string; codeHash: string }[],
): Promise<void> {
  await db
    .insertInto('recovery_codes')
    .values(
      rows.map((r) => ({
        id: r.id,
        account_id: r.accountId,
        code_hash: r.codeHash,
        used_at: null,
      })),
    )
    .execute();
}
