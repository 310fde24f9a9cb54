import { InvalidArgumentError, UnauthenticatedError } from '@kith/errors';
import { OidcIntent } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { Consent } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { Caller } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import { loadCallerAccount } from '../accounts/caller-account.js';
import { requireRecentAuth } from '../sessions/recent-auth.js';
import type { OidcClient } from './client.js';
import { consentRecord } from '../accounts/consent.js';
import { randomSecret } from '../crypto/secrets.js';
import { OAUTH_BINDING_PREFIX, saveState } from './oidc-store.js';
import type { OidcStateIntent } from './oidc-store.js';
import { findProviderIdentity } from './link-identities.js';
import { providerAlreadyLinked } from './link-account.js';

function stateIntent(intent: OidcIntent): OidcStateIntent {
  if (intent === OidcIntent.LOGIN) return 'login';
  if (intent === OidcIntent.LINK) return 'link';
  throw new InvalidArgumentError([{ field: 'intent', message: 'must be LOGIN or LINK' }]);
}

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
  caller: Caller,
  input: {
    providerId: string;
    redirectUri: string;
    intent: OidcIntent;
    /** Validated by the request's rules when present; ignored for a link. */
    consent: Consent | undefined;
  },
): Promise<{ authorizationUrl: string; state: string; bindingSecret: string; expiresAt: Date }> {
  const { now } = caller;
  await app.throttle.beforeOAuthStart(caller.meta.ip);
  const intent = stateIntent(input.intent);
  const client = oidcClientFor(app, input.providerId);
  let accountId: string | null = null;
  if (intent === 'link') {
    // A link is for the signed-in caller only.
    const principal = caller.principal;
    if (!principal) throw new UnauthenticatedError();
    await app.database.transaction(async (trx) => {
      await requireRecentAuth(trx, principal, now, app.config.reauthWindowMs);
      const account = await loadCallerAccount(trx, principal.userId, now);
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
      intent: intent,
      accountId,
      redirectUri: input.redirectUri,
      consent:
        intent === 'login' && input.consent !== undefined
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
