import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { AuthApp } from '../app.js';
import { callerOf, signedInCaller } from '@kith/runtime';
import { finishOAuthLogin } from './finish-oauth-login.js';
import { startOAuthLogin } from './start-oauth-login.js';
import { unlinkIdentity } from './link-account.js';
import { toLinkedIdentity } from './link-identities.js';

/** OIDC sign-in, sign-up and account linking (authorization code + PKCE, state, nonce). */
export function oidcHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async startOAuthLogin(req, ctx) {
      const caller = callerOf(app, ctx);
      const started = await startOAuthLogin(app, caller, {
        providerId: req.providerId,
        redirectUri: req.redirectUri,
        intent: req.intent,
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
      const caller = callerOf(app, ctx);
      const finished = await finishOAuthLogin(app, caller, {
        providerId: req.providerId,
        code: req.code,
        state: req.state,
        bindingSecret: req.bindingSecret,
        iss: req.iss,
        deviceLabel: req.deviceLabel,
      });
      if (finished.kind === 'linked') {
        return {
          result: { case: 'linkedIdentity', value: toLinkedIdentity(finished.identity) },
          accountCreated: false,
        };
      }
      const { result, accountCreated } = finished;
      return 'tokens' in result
        ? { result: { case: 'tokens', value: result.tokens }, accountCreated }
        : { result: { case: 'mfaChallenge', value: result.mfaChallenge }, accountCreated };
    },

    async unlinkOAuthIdentity(req, ctx) {
      const caller = signedInCaller(app, ctx);
      await unlinkIdentity(app, caller, { providerId: req.providerId });
      return {};
    },
  };
}
