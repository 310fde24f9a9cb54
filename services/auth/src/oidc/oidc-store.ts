import type { Kysely, Selectable } from 'kysely';
import { sha256Hex } from '../crypto/secrets.js';
import { uuidv7 } from 'uuidv7';
import type { AuthDatabase, OidcIdentityTable, OidcStateTable } from '../db/schema.js';
import type { OidcIdentity } from './identity.js';
import type { OidcStartResult } from './client.js';
import type { ConsentRecord } from '../accounts/consent.js';

// A started login, bound server-side to its nonce, PKCE verifier and redirect URI, and to the
// client that started it by a binding secret returned only to that client. Only hashes of the
// state and the secret are stored: the state travels through the browser and is the lookup key,
// so a callback URL (code and state) alone, leaked or planted, redeems nothing.

/** Prefix of the binding secret StartOAuthLogin returns. */
export const OAUTH_BINDING_PREFIX = 'kith_oab_';

/** How long a user has to come back from the provider. */
export const OIDC_STATE_TTL_MS = 10 * 60_000;

export type OidcStateRow = Selectable<OidcStateTable>;
export type OidcStateIntent = OidcStateTable['intent'];

export async function saveState(
  trx: Kysely<AuthDatabase>,
  input: {
    started: OidcStartResult;
    providerId: string;
    intent: OidcStateIntent;
    accountId: string | null;
    redirectUri: string;
    /** The terms accepted for a sign-up this login may turn into; null for none. */
    consent: ConsentRecord | null;
    /** The secret returned to the starting client; stored hashed. */
    bindingSecret: string;
    now: Date;
  },
): Promise<{ expiresAt: Date }> {
  const { started, now } = input;
  const expiresAt = new Date(now.getTime() + OIDC_STATE_TTL_MS);
  // Expired states are worthless (finishing refuses them): dropping them keeps the table small.
  await trx.deleteFrom('oidc_states').where('expires_at', '<=', now).execute();
  await trx
    .insertInto('oidc_states')
    .values({
      state_hash: sha256Hex(started.state),
      provider_id: input.providerId,
      intent: input.intent,
      account_id: input.accountId,
      nonce: started.nonce,
      code_verifier: started.codeVerifier,
      redirect_uri: input.redirectUri,
      created_at: now,
      expires_at: expiresAt,
      used_at: null,
      consent: input.consent,
      binding_hash: sha256Hex(input.bindingSecret),
    })
    .execute();
  return { expiresAt };
}

export type StateRejection =
  'unknown_state' | 'state_used' | 'state_expired' | 'provider_mismatch' | 'binding_mismatch';

/**
 * Claims a state for one finish attempt, whatever comes of it: the single UPDATE … WHERE
 * used_at IS NULL is what makes a state work once even under concurrent calls. Run it in a
 * transaction of its own so the claim stays when the attempt then fails. Only the client that
 * started the flow (it holds the binding secret) can claim it; anyone else's attempt leaves the
 * state to its owner.
 */
export async function claimState(
  trx: Kysely<AuthDatabase>,
  input: { state: string; bindingSecret: string; providerId: string; now: Date },
): Promise<{ ok: true; row: OidcStateRow } | { ok: false; reason: StateRejection }> {
  const stateHash = sha256Hex(input.state);
  const row = await trx
    .updateTable('oidc_states')
    .set({ used_at: input.now })
    .where('state_hash', '=', stateHash)
    .where('binding_hash', '=', sha256Hex(input.bindingSecret))
    .where('used_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) {
    const known = await trx
      .selectFrom('oidc_states')
      .select(['used_at', 'binding_hash'])
      .where('state_hash', '=', stateHash)
      .executeTakeFirst();
    if (known === undefined) return { ok: false, reason: 'unknown_state' };
    return {
      ok: false,
      reason: known.used_at === null ? 'binding_mismatch' : 'state_used',
    };
  }
  if (row.expires_at <= input.now) return { ok: false, reason: 'state_expired' };
  if (row.provider_id !== input.providerId) return { ok: false, reason: 'provider_mismatch' };
  return { ok: true, row };
}

// Linked identities.

export type IdentityRow = Selectable<OidcIdentityTable>;

/** The account an identity (issuer + subject, the provider's stable key) belongs to, if any. */
export async function findIdentity(
  db: Kysely<AuthDatabase>,
  issuer: string,
  subject: string,
): Promise<IdentityRow | undefined> {
  return db
    .selectFrom('oidc_identities')
    .selectAll()
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();
}

/** The account's identity at one configured provider (at most one per provider). */
export async function findProviderIdentity(
  db: Kysely<AuthDatabase>,
  accountId: string,
  providerId: string,
): Promise<IdentityRow | undefined> {
  return db
    .selectFrom('oidc_identities')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('provider_id', '=', providerId)
    .executeTakeFirst();
}

export async function countIdentities(
  db: Kysely<AuthDatabase>,
  accountId: string,
): Promise<number> {
  const row = await db
    .selectFrom('oidc_identities')
    .select((eb) => eb.fn.countAll<string | number | bigint>().as('count'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function insertIdentity(
  db: Kysely<AuthDatabase>,
  input: { accountId: string; providerId: string; identity: OidcIdentity; now: Date },
): Promise<IdentityRow> {
  return db
    .insertInto('oidc_identities')
    .values({
      id: uuidv7(),
      account_id: input.accountId,
      provider_id: input.providerId,
      issuer: input.identity.issuer,
      subject: input.identity.subject,
      email: input.identity.email ?? '',
      linked_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteIdentity(db: Kysely<AuthDatabase>, id: string): Promise<void> {
  await db.deleteFrom('oidc_identities').where('id', '=', id).execute();
}

export async function updateIdentityEmail(
  db: Kysely<AuthDatabase>,
  id: string,
  email: string,
): Promise<void> {
  await db.updateTable('oidc_identities').set({ email }).where('id', '=', id).execute();
}
