import type { Principal } from '@kith/context';
import { InvalidArgumentError } from '@kith/errors';
import type { Consent } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { AuthApp } from '../app.js';
import { loadCallerAccount } from '../db/accounts.js';
import { requireRecentAuth } from '../sessions/recent-auth.js';
import type { OidcClient } from './client.js';
import { consentRecord } from '../accounts/consent.js';
import { randomSecret } from '../crypto/secrets.js';
import { OAUTH_BINDING_PREFIX, saveState } from './handlers-states.js';
import type { OidcStateIntent } from './handlers-states.js';
import { findProviderIdentity } from './link-identities.js';
import { providerAlreadyLinked } from './link-account.js';

export function oidcClientFor(app: AuthApp, providerId: string): OidcClient {
  const client = app.oidc.get(providerId);
  if (client === undefined) {
    throw new InvalidArgumentError(
      [{ field: 'provider_id', message: 'not a configured provider' }],
      'unknown provider',
    );
  }
  return client;
}

/**
 * StartOAuthLogin: a fresh state, nonce and PKCE verifier, kept server-side for 10 minutes, and
 * a binding secret returned to this client only (FinishOAuthLogin requires it).
 * A link is bound to the signed-in account, which must have re-authenticated recently and
 * have no identity at this provider yet. A login keeps the terms the user accepted, if any,
 * for the sign-up it may turn into (accepted now, whenever the provider sends the user back).
 */
export async function startOAuthLogin(
  app: AuthApp,
  input: {
    providerId: string;
    redirectUri: string;
    intent: OidcStateIntent;
    /** Required for a link (the caller's principal); ignored for a login. */
    principal: () => Principal;
    /** Validated by the request's rules when present; ignored for a link. */
    consent: Consent | undefined;
  },
): Promise<{ authorizationUrl: string; state: string; bindingSecret: string; expiresAt: Date }> {
  const client = oidcClientFor(app, input.providerId);
  const now = app.clock();
  let accountId: string | null = null;
  if (input.intent === 'link') {
    const principal = input.principal();
    await app.database.transaction(async (trx) => {
      await requireRecentAuth(trx, principal, now, app.config.reauthWindowMs);
      const account = await loadCallerAccount(trx, principal.userId);
      if ((await findProviderIdentity(trx, account.id, input.providerId)) !== undefined) {
        throw providerAlreadyLinked();
      }
    });
    accountId = principal.userId;
  }
  // Outside any transaction: the first start of a provider fetches its discovery document.
  const started = await client.start({ redirectUri: input.redirectUri });
  const bindingSecret = randomSecret(OAUTH_BINDING_PREFIX);
  const { expiresAt } = await app.database.transaction((trx) =>
    saveState(trx, {
      started,
      providerId: input.providerId,
      intent: input.intent,
      accountId,
      redirectUri: input.redirectUri,
      consent:
        input.intent === 'login' && input.consent !== undefined
          ? consentRecord(input.consent, now)
          : null,
      bindingSecret,
      now,
    }),
  );
  return {
    authorizationUrl: started.authorizationUrl,
    state: started.state,
    bindingSecret,
    expiresAt,
  };
}
