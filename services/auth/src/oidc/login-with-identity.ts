import { FailedPreconditionError, PermissionDeniedError, UnauthenticatedError } from '@kith/errors';
import type { Kysely } from 'kysely';
import { findAccountByCanonicalEmail, findAccountById } from '../accounts/account-store.js';
import { lockoutOf } from '../accounts/lockout.js';
import { accountConflict } from '../accounts/unique-violation.js';
import type { AuthApp } from '../app.js';
import { emailDomainBlocked, ipBlocked } from '../admin/admin-store.js';
import { audit } from '../audit/audit-store.js';
import { canonicalEmail, emailDomain, InvalidEmailError } from '../credentials/index.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import { completePrimaryAuth } from '../login/complete-login.js';
import type { PrimaryAuthResult } from '../login/complete-login.js';
import type { RequestMeta } from '@kith/runtime';
import { publishLoginSucceeded } from '../security-events.js';
import type { Device } from '../sessions/sessions.js';
import type { OidcClient } from './client.js';
import { auditOidcFailure, auditOidcSuccess } from './oidc-audit.js';
import type { OidcIdentity } from './identity.js';
import { findIdentity, identityConflict, refreshIdentityEmail } from './link-identities.js';
import { signUpWithIdentity } from './link-sign-up.js';

export const consentMissing = () =>
  new FailedPreconditionError('accept the terms to create an account');

export const emailInUse = () =>
  new FailedPreconditionError(
    'an account with this e-mail exists: sign in and link the provider from settings',
  );

export interface LoginInput {
  client: OidcClient;
  identity: OidcIdentity;
  device: Device;
  /** The terms accepted at the start (null for none): needed only to create an account. */
  consent: Record<string, unknown> | null;
  meta: RequestMeta;
  now: Date;
}

type LoginOutcome =
  | { ok: true; result: PrimaryAuthResult; accountCreated: boolean }
  | { ok: false; error: () => Error };

/** Concurrent first logins of one identity race to create it; the loser logs in instead. */
const MAX_ATTEMPTS = 3;

/**
 * The LOGIN intent with a proven identity: the linked account's login (a second factor still
 * asked for), or a sign-up when the identity is new, the provider allows it and vouches for
 * the e-mail address, no account holds that address, and the user accepted the terms.
 */
export async function loginWithIdentity(
  app: AuthApp,
  input: LoginInput,
): Promise<{ result: PrimaryAuthResult; accountCreated: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      // Refusals are returned, not thrown, so that their audit entries commit.
      const outcome = await app.database.transaction((trx) => loginOrSignUp(app, trx, input));
      if (!outcome.ok) throw outcome.error();
      return { result: outcome.result, accountCreated: outcome.accountCreated };
    } catch (err) {
      // Lost a race for this identity, its address or a username: look again.
      const lostRace = identityConflict(err) !== undefined || accountConflict(err) !== undefined;
      if (!lostRace || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

function canonicalOrNull(email: string | undefined): string | null {
  if (email === undefined) return null;
  try {
    return canonicalEmail(email);
  } catch (err) {
    if (err instanceof InvalidEmailError) return null;
    throw err;
  }
}

async function loginOrSignUp(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  input: LoginInput,
): Promise<LoginOutcome> {
  const { client, identity, device, consent, meta, now } = input;
  const providerId = client.provider.id;
  const refuse = async (reason: string, error: () => Error, accountId: string | null = null) => {
    await auditOidcFailure(trx, { meta, now, providerId, reason, accountId });
    return { ok: false, error } as const;
  };
  /** The provider vouched for the user: sessions or a second-factor challenge, audited. */
  const signIn = async (account: Account, accountCreated: boolean): Promise<LoginOutcome> => {
    // Not checked for OIDC: the provider's own checks are the ones a new-device code repeats.
    const result = await completePrimaryAuth(app, trx, account, {
      device,
      knownDevice: false,
      meta,
      method: 'oidc',
      now,
    });
    await auditOidcSuccess(trx, {
      accountId: account.id,
      result,
      meta,
      now,
      providerId,
      accountCreated,
    });
    if ('tokens' in result) {
      await publishLoginSucceeded(app, trx, {
        account,
        tokens: result.tokens,
        device,
        knownDevice: false,
        via: { method: 'oidc' },
      });
    }
    return { ok: true, result, accountCreated };
  };

  const linked = await findIdentity(trx, identity.issuer, identity.subject);
  if (linked !== undefined) {
    const account = await findAccountById(trx, linked.account_id, { forUpdate: true });
    // A suspended or banned account signs in to a restricted session (TokenPair.restricted).
    if (account === undefined || lockoutOf(account, now) === 'disabled') {
      return refuse(
        'account_disabled',
        () => new UnauthenticatedError('oidc login failed'),
        linked.account_id,
      );
    }
    await refreshIdentityEmail(trx, linked, identity);
    return signIn(account, false);
  }

  const email = identity.emailVerified ? identity.email : undefined;
  const emailCanonical = canonicalOrNull(email);
  // Said only for an address the provider verified, i.e. to its owner: to anyone else the
  // answer would tell whether an address has an account.
  if (emailCanonical !== null) {
    const owner = await findAccountByCanonicalEmail(trx, emailCanonical);
    if (owner !== undefined) {
      // Never linked on the e-mail alone: whoever controls the provider account (or an issuer
      // that vouches loosely) would take over the Kith account.
      await audit(trx, { accountId: owner.id, meta, now }, 'blocked_by_policy', {
        reason: 'email_in_use',
        during: 'oidc_login',
        provider_id: providerId,
      });
      return { ok: false, error: emailInUse };
    }
  }
  if (!client.provider.allowSignUp) {
    return refuse(
      'sign_up_not_allowed',
      () => new PermissionDeniedError('sign-up with this provider is not available'),
    );
  }
  if (email === undefined || emailCanonical === null) {
    return refuse(
      'email_unverified',
      () => new PermissionDeniedError('sign-up needs an e-mail address the provider has verified'),
    );
  }
  const blocked = await signUpBlock(trx, email, meta, now);
  if (blocked !== null) {
    await audit(trx, { meta, now }, 'blocked_by_policy', {
      reason: blocked,
      during: 'oidc_sign_up',
      provider_id: providerId,
    });
    return { ok: false, error: () => new PermissionDeniedError('sign-up is not available') };
  }
  // Asked last: only a login that would create an account needs it.
  if (consent === null) return refuse('consent_missing', consentMissing);
  await app.throttle.beforeSignUp(meta.ip);
  const account = await signUpWithIdentity(app, trx, {
    identity: { ...identity, email },
    emailCanonical,
    providerId,
    consent,
    meta,
    now,
  });
  return signIn(account, true);
}

/** The staff blocks Register honours: the client's address range and the e-mail domain. */
async function signUpBlock(
  trx: Kysely<AuthDatabase>,
  email: string,
  meta: RequestMeta,
  now: Date,
): Promise<string | null> {
  if (await ipBlocked(trx, meta.ip, 'sign_up', now)) return 'ip_blocked';
  if (await emailDomainBlocked(trx, emailDomain(email))) return 'email_domain_blocked';
  return null;
}
