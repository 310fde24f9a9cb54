import { AbortedError } from '@kith/errors';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { findAccountById, insertAccount, usernameTaken } from '../accounts/account-store.js';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import { normalizeUsername, usernameSkeleton } from '../credentials/index.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import type { RequestMeta } from '@kith/runtime';
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
 * password (the identity is the way in), the address verified, the terms the user accepted
 * recorded, the identity linked. The caller has checked that sign-up is allowed and that no
 * account holds the address.
 */
export async function signUpWithIdentity(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  input: {
    identity: OidcIdentity & { email: string };
    emailCanonical: string;
    providerId: string;
    /** As accounts.consent holds it (see consent.ts). */
    consent: Record<string, unknown>;
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
    emailCanonical: input.emailCanonical,
    emailVerifiedAt: now,
    username,
    passwordHash: null,
    locale: DEFAULT_LOCALE,
    consent: input.consent,
    now,
  });
  await insertIdentity(trx, { accountId: id, providerId: input.providerId, identity, now });
  await app.emit(trx, id, {
    case: 'authUserRegistered',
    value: { userId: id, username, email: identity.email, locale: DEFAULT_LOCALE },
  });
  await audit(trx, { accountId: id, meta, now }, 'registered', {
    method: 'oidc',
    provider_id: input.providerId,
  });
  await audit(trx, { accountId: id, meta, now }, 'oauth_linked', {
    provider_id: input.providerId,
    during: 'sign_up',
  });
  const account = await findAccountById(trx, id);
  if (!account) throw new Error(`account ${id} vanished right after its sign-up`);
  return account;
}
