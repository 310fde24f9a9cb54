import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { InvalidArgumentError } from '@kith/errors';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { requirePrincipal } from '@kith/interceptors';
import type { AuthApp } from '../app.js';
import { requestMeta } from '../request-meta.js';
import { passwordLogin } from './password-login.js';
import { reauthenticate } from './reauthenticate.js';

export function loginHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async login(req, ctx) {
      const result = await passwordLogin(
        app,
        {
          identifier: req.identifier,
          password: req.password,
          deviceLabel: req.deviceLabel,
          deviceToken: req.deviceToken,
        },
        requestMeta(ctx),
      );
      return 'tokens' in result
        ? { result: { case: 'tokens', value: result.tokens }, deviceToken: result.deviceToken }
        : { result: { case: 'mfaChallenge', value: result.mfaChallenge } };
    },

    async reauthenticate(req, ctx) {
      const principal = requirePrincipal(ctx);
      if (req.factor.case === undefined) {
        throw new InvalidArgumentError([
          { field: 'factor', message: 'a password or code is required' },
        ]);
      }
      const { tokens, until } = await reauthenticate(app, principal, req.factor, requestMeta(ctx));
      return { tokens, reauthenticatedUntil: timestampFromDate(until) };
    },
  };
}
