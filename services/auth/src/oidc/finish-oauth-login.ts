import { PermissionDeniedError, UnauthenticatedError } from '@kith/errors';
import { applyBootstrapAdmins } from '../admin/bootstrap.js';
import type { Caller } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import type { PrimaryAuthResult } from '../login/complete-login.js';
import { ipBlocked } from '../admin/admin-store.js';
import type { OidcClient } from './client.js';
import { OidcLoginError } from './errors.js';
import { auditOidcFailure } from './oidc-audit.js';
import { loginWithIdentity } from './login-with-identity.js';
import { claimState } from './oidc-store.js';
import type { OidcStateRow } from './oidc-store.js';
import type { OidcIdentity } from './identity.js';
import { linkIdentity } from './link-account.js';
import type { IdentityRow } from './link-identities.js';

/** One answer for every state problem (unknown, used, expired, another provider's). */
export const oidcLoginFailed = () => new UnauthenticatedError('oidc login failed');

export interface FinishInput {
  providerId: string;
  code: string;
  state: string;
  /** The secret StartOAuthLogin returned to the client that started this flow. */
  bindingSecret: string;
  /** RFC 9207 `iss` of the callback; empty when the client did not pass one. */
  iss: string;
  deviceLabel: string;
}

export type FinishResult =
  | { kind: 'login'; result: PrimaryAuthResult; accountCreated: boolean }
  | { kind: 'linked'; identity: IdentityRow };

/**
 * FinishOAuthLogin: claims the state (once), lets the provider prove the identity (code, PKCE,
 * nonce, ID token), then links it (intent LINK) or logs in / signs up (intent LOGIN).
 */
export async function finishOAuthLogin(
  app: AuthApp,
  caller: Caller,
  input: FinishInput,
): Promise<FinishResult> {
  const { principal, meta, now } = caller;
  // Counts against the client address's login budget, like a password login.
  await app.throttle.beforeOAuthFinish(meta.ip);
  const fail = async (providerId: string, reason: string, accountId: string | null = null) => {
    await app.database.transaction((trx) =>
      auditOidcFailure(trx, { meta, now, providerId, reason, accountId }),
    );
    return oidcLoginFailed();
  };

  // Committed on its own: the state stays used whatever happens next.
  const claim = await app.database.transaction((trx) =>
    claimState(trx, {
      state: input.state,
      bindingSecret: input.bindingSecret,
      providerId: input.providerId,
      now,
    }),
  );
  if (!claim.ok) throw await fail(input.providerId, claim.reason);
  const state = claim.row;

  const client = app.oidc.get(state.provider_id);
  // The provider was removed from the configuration after this login started.
  if (client === undefined) throw await fail(state.provider_id, 'provider_removed');
  if (state.intent === 'link' && principal?.userId !== state.account_id) {
    // A link finishes in the account that started it: otherwise someone could start a link on
    // their own account and have a victim complete it, planting the victim's identity there.
    throw await fail(state.provider_id, 'link_caller_mismatch', state.account_id);
  }
  if (state.intent === 'login' && (await ipBlocked(app.database.db, meta.ip, 'login', now))) {
    await app.database.transaction((trx) =>
      audit(trx, { meta, now }, 'blocked_by_policy', {
        action: 'login',
        policy: 'ip_block',
        method: 'oidc',
      }),
    );
    throw new PermissionDeniedError('signing in from this network is not allowed');
  }

  const identity = await proveIdentity(client, input, state, fail);
  if (state.intent === 'link') {
    const linked = await linkIdentity(app, {
      accountId: state.account_id ?? '',
      sessionId: principal?.sessionId ?? null,
      providerId: state.provider_id,
      identity,
      meta,
      now,
    });
    return { kind: 'linked', identity: linked };
  }
  const device = { ip: meta.ip, userAgent: meta.userAgent, deviceLabel: input.deviceLabel };
  const login = await loginWithIdentity(app, {
    client,
    identity,
    device,
    consent: state.consent,
    meta,
    now,
  });
  // A sign-up arrives with its address verified by the provider: it may be the founder's.
  // (A promotion revokes the token just minted; the client's refresh returns an admin one.)
  if (login.accountCreated) await applyBootstrapAdmins(app);
  return { kind: 'login', ...login };
}

async function proveIdentity(
  client: OidcClient,
  input: FinishInput,
  state: OidcStateRow,
  fail: (providerId: string, reason: string, accountId: string | null) => Promise<Error>,
): Promise<OidcIdentity> {
  try {
    return await client.finish({
      callbackParams: {
        code: input.code,
        state: input.state,
        ...(input.iss === '' ? {} : { iss: input.iss }),
      },
      expected: {
        state: input.state,
        nonce: state.nonce,
        codeVerifier: state.code_verifier,
        redirectUri: state.redirect_uri,
      },
    });
  } catch (err) {
    // Audited, then passed on as it is: its code (Unauthenticated, or Unavailable for a provider
    // that is down) and reason are what the client should see.
    if (err instanceof OidcLoginError) await fail(state.provider_id, err.reason, state.account_id);
    throw err;
  }
}
