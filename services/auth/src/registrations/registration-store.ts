import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/schema.js';

/** A sign-up whose address was never verified, claimed for removal. */
export interface ExpiredRegistration {
  id: string;
  username: string;
}

/**
 * Locks up to `limit` accounts that were created before `cutoff` and never verified their
 * address, oldest first. Rows another transaction holds are skipped (SKIP LOCKED), so replicas
 * sweeping at once share the work instead of queueing on, or processing, the same accounts;
 * a concurrent verification that commits first takes the account out of the claim, since
 * Postgres re-checks the conditions on the row it locks.
 *
 * Accounts with a linked OIDC identity are left alone: a provider vouched for that person
 * (an account made through OIDC is created verified; this is the belt to those braces).
 */
export function claimExpiredRegistrations(
  trx: Kysely<AuthDatabase>,
  cutoff: Date,
  limit: number,
): Promise<ExpiredRegistration[]> {
  return trx
    .selectFrom('accounts')
    .select(['id', 'username'])
    .where('email_verified_at', 'is', null)
    .where('created_at', '<', cutoff)
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom('oidc_identities')
            .select('oidc_identities.id')
            .whereRef('oidc_identities.account_id', '=', 'accounts.id'),
        ),
      ),
    )
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/**
 * Deletes the accounts; their sessions (and refresh tokens), e-mail tokens, MFA challenges,
 * recovery codes, API keys, identities and OIDC states go with them (ON DELETE CASCADE). The
 * audit log has no foreign key and keeps its rows.
 */
export async function deleteAccounts(trx: Kysely<AuthDatabase>, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await trx.deleteFrom('accounts').where('id', 'in', ids).execute();
}
