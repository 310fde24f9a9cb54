import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/schema.js';

// What auth holds about one account, for that account's data export. Each query names its
// columns: hashes, secrets (TOTP, recovery codes, refresh tokens, key hashes and prefixes,
// device tokens) are never selected, so they cannot reach an export by a later `selectAll`.

/** The account row, without its password hash, TOTP secrets or disabling staff member. */
export function exportAccount(db: Kysely<AuthDatabase>, userId: string) {
  return db
    .selectFrom('accounts')
    .select([
      'id',
      'username',
      'email',
      'email_verified_at',
      'pending_email',
      'locale',
      'consent',
      'role',
      'totp_enabled_at',
      'last_login_at',
      'disabled_at',
      'created_at',
      'updated_at',
    ])
    .where('id', '=', userId)
    .executeTakeFirst();
}

/** Every session of the account, oldest first, with the address and user agent auth keeps. */
export function exportSessions(db: Kysely<AuthDatabase>, userId: string) {
  return db
    .selectFrom('sessions')
    .select([
      'id',
      'created_at',
      'last_used_at',
      'expires_at',
      'ip',
      'user_agent',
      'device_label',
      'revoked_at',
      'revoked_reason',
    ])
    .where('account_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The devices the account signed in from (their cookie tokens' hashes stay out). */
export function exportKnownDevices(db: Kysely<AuthDatabase>, userId: string) {
  return db
    .selectFrom('known_devices')
    .select(['id', 'created_at', 'last_used_at'])
    .where('account_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The account's API keys: names and scopes, never the key, its prefix or its hash. */
export function exportApiKeys(db: Kysely<AuthDatabase>, userId: string) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'name', 'scopes', 'created_at', 'last_used_at', 'expires_at', 'revoked_at'])
    .where('account_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** How many recovery codes the account has left (the codes themselves never leave). */
export async function countUnusedRecoveryCodes(
  db: Kysely<AuthDatabase>,
  userId: string,
): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('account_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** The external identities linked to the account. */
export function exportLinkedIdentities(db: Kysely<AuthDatabase>, userId: string) {
  return db
    .selectFrom('oidc_identities')
    .select(['provider_id', 'issuer', 'email', 'linked_at'])
    .where('account_id', '=', userId)
    .orderBy('linked_at')
    .orderBy('id')
    .execute();
}

/** The audit entries about the account, oldest first (who acted is told by the caller). */
export function exportAuditEntries(db: Kysely<AuthDatabase>, userId: string) {
  return db
    .selectFrom('audit_events')
    .select(['id', 'type', 'actor_id', 'session_id', 'ip', 'user_agent', 'details', 'occurred_at'])
    .where('account_id', '=', userId)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
}
