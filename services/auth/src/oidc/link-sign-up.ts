import { AbortedError } from '@kith/errors';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { insertAccount, usernameTaken } from '../accounts/account-store.js';
import type { AuthApp } from '../app.js';
import { recordAudit } from '../audit/audit-log.js';
import { normalizeUsername, usernameSkeleton } from '../credentials/index.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import type { RequestMeta } from '../request-meta.js';
import type { OidcIdentity } from './identity.js';
import { insertIdentity } from './link-identities.js';
import { usernameBase, usernameCandidates } from './link-username.js';

const DEFAULT_LOCALE = 'en';

/** The first free username derived from the identity (free by name and by look-alike). */
export async function pickUsername(
  trx: Kysely<AuthDatabase>,
  identity: Pick<OidcIdentity, 'preferredUsername' | 'email'>,
): Promise<string> {
  for (const candidate of usernameCandidates(usernameBase(identity))) {
    if (!(await usernameTaken(trx, normalizeUsername(candidate), usernameSkeleton(candidate)))) {
      return candidate;
    }
  }
  // Every candidate was taken: not expected, and a retry draws fresh random suffixes.
  throw new AbortedError('could not choose a username: try again');
}

/**
 * Creates an account for an identity the provider vouches for with a verified address: no
 * password (the identity is the way in), the address verified, the identity linked. The caller
 * has checked that sign-up is allowed and that no account holds the address.
 */
export async function signUpWithIdentity(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  input: {
    identity: OidcIdentity & { email: string };
    emailCanonical: string;
    providerId: string;
    meta: RequestMeta;
    now: Date;
  },
): Promise<Account> {
  const { identity, meta, now } = input;
  const id = uuidv7();
  const username = await pickUsername(trx, identity);
  await insertAccount(trx, {
    id,
    email: identity.email,
    email_canonical: input.emailCanonical,
    email_verified_at: now,
    pending_email: null,
    username,
    username_normalized: normalizeUsername(username),
    username_skeleton: usernameSkeleton(username),
    password_hash: null,
    locale: DEFAULT_LOCALE,
    totp_secret_enc: null,
    totp_enabled_at: null,
    totp_last_step: null,
    totp_pending_secret_enc: null,
    totp_pending_expires_at: null,
    tokens_valid_after: now,
    disabled_at: null,
    disabled_by: null,
    last_login_at: null,
    created_at: now,
    updated_at: now,
  });
  await insertIdentity(trx, { accountId: id, providerId: input.providerId, identity, now });
  await app.emit(trx, id, {
    case: 'authUserRegistered',
    value: { userId: id, username, email: identity.email, locale: DEFAULT_LOCALE },
  });
  await recordAudit(trx, {
    type: 'registered',
    accountId: id,
    meta,
    details: { method: 'oidc', provider_id: input.providerId },
    at: now,
  });
  await recordAudit(trx, {
    type: 'oauth_linked',
    accountId: id,
    meta,
    details: { provider_id: input.providerId, during: 'sign_up' },
    at: now,
  });
  return trx.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}
