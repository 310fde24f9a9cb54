import type { Kysely } from 'kysely';
import type { StoredStep, SupportDatabase } from '../db/schema.js';

/** The user's ladder row, or undefined when they never changed the default. */
export async function findLadder(
  db: Kysely<SupportDatabase>,
  userId: string,
): Promise<{ steps: StoredStep[]; version: string; updated_at: Date } | undefined> {
  return db
    .selectFrom('ladders')
    .select(['steps', 'version', 'updated_at'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** The user's ladder row held for the rest of the transaction (undefined: the default). */
export async function lockLadder(
  db: Kysely<SupportDatabase>,
  userId: string,
): Promise<{ version: string } | undefined> {
  return db
    .selectFrom('ladders')
    .select(['version'])
    .where('user_id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * Writes version `version` of the user's ladder over `baseVersion` (0: no row yet). False when
 * someone else wrote first: the row appeared, or its version moved on.
 */
export async function writeLadder(
  db: Kysely<SupportDatabase>,
  values: { userId: string; steps: StoredStep[]; baseVersion: number; at: Date },
): Promise<boolean> {
  const steps = JSON.stringify(values.steps);
  const version = String(values.baseVersion + 1);
  if (values.baseVersion === 0) {
    const inserted = await db
      .insertInto('ladders')
      .values({ user_id: values.userId, steps, version, updated_at: values.at })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .returning('user_id')
      .executeTakeFirst();
    return inserted !== undefined;
  }
  const updated = await db
    .updateTable('ladders')
    .set({ steps, version, updated_at: values.at })
    .where('user_id', '=', values.userId)
    .where('version', '=', String(values.baseVersion))
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}
