import type { Kysely } from 'kysely';
import { normalizeUsername, usernameSkeleton } from '../credentials/index.js';
import type { Account, AuthDatabase, NewAccount } from '../db/schema.js';

// The account queries of this folder. Every query takes the handle it runs on: inside a
// transaction that is the transaction, never `database.db` (PGlite has a single session).

export async function findAccountByCanonicalEmail(
  db: Kysely<AuthDatabase>,
  canonical: string,
): Promise<Account | undefined> {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('email_canonical', '=', canonical)
    .executeTakeFirst();
}

export async function findAccountById(
  db: Kysely<AuthDatabase>,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Account | undefined> {
  let query = db.selectFrom('accounts').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** True when the name, or a look-alike of it, belongs to an account already. */
export async function usernameTaken(
  db: Kysely<AuthDatabase>,
  normalized: string,
  skeleton: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('accounts')
    .select('id')
    .where((eb) =>
      eb.or([eb('username_normalized', '=', normalized), eb('username_skeleton', '=', skeleton)]),
    )
    .executeTakeFirst();
  return row !== undefined;
}

/** True when the address belongs to an account other than `exceptAccountId`. */
export async function emailTakenByOther(
  db: Kysely<AuthDatabase>,
  canonical: string,
  exceptAccountId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('accounts')
    .select('id')
    .where('email_canonical', '=', canonical)
    .where('id', '!=', exceptAccountId)
    .executeTakeFirst();
  return row !== undefined;
}

/** What differs between new accounts; everything else starts empty (no MFA, not disabled). */
export interface NewAccountFields {
  id: string;
  email: string;
  emailCanonical: string;
  /** Set when the address is already proven (an OIDC provider vouched for it). */
  emailVerifiedAt: Date | null;
  username: string;
  /** Null for accounts that sign in through OIDC only. */
  passwordHash: string | null;
  locale: string;
  consent?: NewAccount['consent'];
  now: Date;
}

/** The one place accounts are created (sign-up by password and by OIDC). */
export async function insertAccount(
  db: Kysely<AuthDatabase>,
  fields: NewAccountFields,
): Promise<void> {
  await db
    .insertInto('accounts')
    .values({
      id: fields.id,
      email: fields.email,
      email_canonical: fields.emailCanonical,
      email_verified_at: fields.emailVerifiedAt,
      pending_email: null,
      username: fields.username,
      username_normalized: normalizeUsername(fields.username),
      username_skeleton: usernameSkeleton(fields.username),
      password_hash: fields.passwordHash,
      locale: fields.locale,
      ...(fields.consent === undefined ? {} : { consent: fields.consent }),
      totp_secret_enc: null,
      totp_enabled_at: null,
      totp_last_step: null,
      totp_pending_secret_enc: null,
      totp_pending_expires_at: null,
      tokens_valid_after: fields.now,
      disabled_at: null,
      disabled_by: null,
      last_login_at: null,
      created_at: fields.now,
      updated_at: fields.now,
    })
    .execute();
}

export async function unusedRecoveryCodes(
  db: Kysely<AuthDatabase>,
  accountId: string,
): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<string | number | bigint>().as('count'))
    .where('account_id', '=', accountId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function linkedIdentities(db: Kysely<AuthDatabase>, accountId: string) {
  return db
    .selectFrom('oidc_identities')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('linked_at')
    .orderBy('id')
    .execute();
}
