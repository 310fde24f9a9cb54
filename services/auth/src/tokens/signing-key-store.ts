import { sql } from 'kysely';
import type { Insertable, Kysely } from 'kysely';
import type { AuthDatabase, SigningKeyTable } from '../db/schema.js';

// The signing-key rows: plain functions of the handle they run on.

/** Serialises key maintenance across replicas until the transaction ends. */
export async function lockKeyMaintenance(db: Kysely<AuthDatabase>, key: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(db);
}

export function allSigningKeys(db: Kysely<AuthDatabase>) {
  return db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
}

export async function insertSigningKey(
  db: Kysely<AuthDatabase>,
  row: Insertable<SigningKeyTable>,
): Promise<void> {
  await db.insertInto('signing_keys').values(row).execute();
}

export async function retireSigningKey(
  db: Kysely<AuthDatabase>,
  kid: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('signing_keys')
    .set({ state: 'retired', retired_at: now })
    .where('kid', '=', kid)
    .execute();
}

export async function activateSigningKey(
  db: Kysely<AuthDatabase>,
  kid: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('signing_keys')
    .set({ state: 'current', activated_at: now })
    .where('kid', '=', kid)
    .execute();
}

/** Drops keys retired before `cutoff`. */
export async function deleteRetiredSigningKeys(
  db: Kysely<AuthDatabase>,
  cutoff: Date,
): Promise<void> {
  await db
    .deleteFrom('signing_keys')
    .where('state', '=', 'retired')
    .where('retired_at', '<', cutoff)
    .execute();
}
