import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/schema.js';

/**
 * Deletes everything the auth service keeps about a user that could sign anyone in or identify
 * them: sessions and their refresh tokens, known devices, MFA challenges and recovery codes, API
 * keys, linked identities, OIDC states, e-mail tokens, then the account row itself. The foreign keys cascade
 * too; the explicit deletes keep the list readable and independent of the schema's cascades.
 *
 * The audit log is not touched: it is append-only (a trigger refuses UPDATE and DELETE), and
 * its rows hold ids, addresses and user agents, no credentials.
 *
 * Returns the ids of the sessions and the hashes of the API keys it deleted; undefined when the
 * account is already gone.
 */
export async function deleteCredentials(
  trx: Kysely<AuthDatabase>,
  userId: string,
): Promise<{ sessionIds: string[]; keyHashes: string[] } | undefined> {
  const account = await trx
    .selectFrom('accounts')
    .select('id')
    .where('id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
  if (!account) return undefined;
  const sessions = await trx
    .selectFrom('sessions')
    .select('id')
    .where('account_id', '=', userId)
    .execute();
  const sessionIds = sessions.map((s) => s.id);
  if (sessionIds.length > 0) {
    await trx.deleteFrom('refresh_tokens').where('session_id', 'in', sessionIds).execute();
  }
  await trx.deleteFrom('sessions').where('account_id', '=', userId).execute();
  await trx.deleteFrom('known_devices').where('account_id', '=', userId).execute();
  await trx.deleteFrom('mfa_challenges').where('account_id', '=', userId).execute();
  await trx.deleteFrom('recovery_codes').where('account_id', '=', userId).execute();
  const keys = await trx
    .deleteFrom('api_keys')
    .where('account_id', '=', userId)
    .returning('key_hash')
    .execute();
  await trx.deleteFrom('oidc_identities').where('account_id', '=', userId).execute();
  await trx.deleteFrom('oidc_states').where('account_id', '=', userId).execute();
  await trx.deleteFrom('email_tokens').where('account_id', '=', userId).execute();
  await trx.deleteFrom('accounts').where('id', '=', userId).execute();
  return { sessionIds, keyHashes: keys.map((k) => k.key_hash) };
}
