import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { principalKey } from '@kith/context';
import { InvalidArgumentError } from '@kith/errors';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { OidcIntent } from '@kith/gen/kith/auth/v1/types_pb.js';
import { requirePrincipal } from '@kith/interceptors';
import { applyBootstrapAdmins } from '../admin/bootstrap.js';
import type { AuthApp } from '../app.js';
import { requestMeta } from '../request-meta.js';
import { finishOAuthLogin } from './handlers-finish.js';
import { startOAuthLogin } from './handlers-start.js';
import type { OidcStateIntent } from './handlers-states.js';
import { unlinkIdentity } from './link-account.js';
import { toLinkedIdentity } from './link-identities.js';

function stateIntent(intent: OidcIntent): OidcStateIntent {
  if (intent === OidcIntent.LOGIN) return 'login';
  if (intent === OidcIntent.LINK) return 'link';
  throw new InvalidArgumentError([{ field: 'intent', message: 'must be LOGIN or LINK' }]);
}

/** OIDC sign-in, sign-up and account linking (authorization code + PKCE, state, nonce). */
export function oidcHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async startOAuthLogin(req, ctx) {
      await app.throttle.beforeOAuthStart(requestMeta(ctx).ip);
      const started = await startOAuthLogin(app, {
        providerId: req.providerId,
        redirectUri: req.redirectUri,
        intent: stateIntent(req.intent),
        principal: () => requirePrincipal(ctx),
        consent: req.consent,
      });
      return {
        authorizationUrl: started.authorizationUrl,
        state: started.state,
        bindingSecret: started.bindingSecret,
        expiresAt: timestampFromDate(started.expiresAt),
      };
    },

    async finishOAuthLogin(req, ctx) {
      const finished = await finishOAuthLogin(
        app,
        {
          providerId: req.providerId,
          code: req.code,
          state: req.state,
          bindingSecret: req.bindingSecret,
          iss: req.iss,
          deviceLabel: req.deviceLabel,
        },
        requestMeta(ctx),
        ctx.values.get(principalKey),
      );
      if (finished.kind === 'linked') {
        return {
          result: { case: 'linkedIdentity', value: toLinkedIdentity(finished.identity) },
          accountCreated: false,
        };
      }
      const { result, accountCreated } = finished;
      // A sign-up arrives with its address verified by the provider: it may be the founder's.
      // (A promotion revokes the token just minted; the client's refresh returns an admin one.)
      if (accountCreated) await applyBootstrapAdmins(app);
      return 'tokens' in result
        ? { result: { case: 'tokens', value: result.tokens }, accountCreated }
        : { result: { case: 'mfaChallenge', value: result.mfaChallenge }, accountCreated };
    },

    async unlinkOAuthIdentity(req, ctx) {
      await unlinkIdentity(app, requirePrincipal(ctx), req.providerId, requestMeta(ctx));
      return {};
    },
  };
}
