import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { normalizeUsername, usernameSkeleton } from '../credentials/index.js';
import type {
  Account,
  AccountTable,
  AuthDatabase,
  EmailTokenPurpose,
  EmailTokenTable,
  NewAccount,
} from '../db/schema.js';

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

/** Writes `changes` to the account row. */
export async function updateAccount(
  db: Kysely<AuthDatabase>,
  accountId: string,
  changes: Updateable<AccountTable>,
): Promise<void> {
  await db.updateTable('accounts').set(changes).where('id', '=', accountId).execute();
}

/** Clears a pending e-mail change; true when one was pending. */
export async function clearPendingEmail(
  db: Kysely<AuthDatabase>,
  accountId: string,
  now: Date,
): Promise<boolean> {
  const dropped = await db
    .updateTable('accounts')
    .set({ pending_email: null, updated_at: now })
    .where('id', '=', accountId)
    .where('pending_email', 'is not', null)
    .executeTakeFirst();
  return dropped.numUpdatedRows > 0n;
}

export type EmailToken = Selectable<EmailTokenTable>;

export async function insertEmailToken(
  db: Kysely<AuthDatabase>,
  row: Insertable<EmailTokenTable>,
): Promise<void> {
  await db.insertInto('email_tokens').values(row).execute();
}

/** Marks the account's outstanding tokens of these purposes used, so only a newer one works. */
export async function retireEmailTokens(
  db: Kysely<AuthDatabase>,
  accountId: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<void> {
  await db
    .updateTable('email_tokens')
    .set({ used_at: now })
    .where('account_id', '=', accountId)
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .execute();
}

/** The token with this hash if it is live (right purpose, unused, unexpired); not used up. */
export function findLiveEmailToken(
  db: Kysely<AuthDatabase>,
  tokenHash: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<EmailToken | undefined> {
  return db
    .selectFrom('email_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/**
 * Uses the token up in one statement, so two concurrent redemptions cannot both succeed.
 * Undefined when it is not live.
 */
export function redeemEmailToken(
  db: Kysely<AuthDatabase>,
  tokenHash: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<EmailToken | undefined> {
  return db
    .updateTable('email_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
}

/** The account signing in by e-mail (canonical) or username (normalised). */
export function findAccountByLoginName(
  db: Kysely<AuthDatabase>,
  column: 'email_canonical' | 'username_normalized',
  canonical: string,
): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where(column, '=', canonical).executeTakeFirst();
}

/** True when any account holds the admin role. */
export async function anyAdminExists(db: Kysely<AuthDatabase>): Promise<boolean> {
  const row = await db
    .selectFrom('accounts')
    .select('id')
    .where('role', '=', 'admin')
    .executeTakeFirst();
  return row !== undefined;
}

/** Enabled accounts with one of these verified (canonical) addresses, locked. */
export function lockVerifiedAccountsByEmail(db: Kysely<AuthDatabase>, emails: readonly string[]) {
  return db
    .selectFrom('accounts')
    .select(['id', 'role'])
    .where('email_canonical', 'in', emails)
    .where('email_verified_at', 'is not', null)
    .where('disabled_at', 'is', null)
    .forUpdate()
    .execute();
}
