import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { AuthApp } from '../app.js';
import { callerOf, signedInCaller } from '@kith/runtime';
import { passwordLogin } from './password-login.js';
import { reauthenticate } from './reauthenticate.js';

export function loginHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async login(req, ctx) {
      const caller = callerOf(app, ctx);
      const result = await passwordLogin(app, caller, {
        identifier: req.identifier,
        password: req.password,
        deviceLabel: req.deviceLabel,
        deviceToken: req.deviceToken,
      });
      return 'tokens' in result
        ? { result: { case: 'tokens', value: result.tokens }, deviceToken: result.deviceToken }
        : { result: { case: 'mfaChallenge', value: result.mfaChallenge } };
    },

    async reauthenticate(req, ctx) {
      const caller = signedInCaller(app, ctx);
      const { tokens, until } = await reauthenticate(app, caller, req.factor);
      return { tokens, reauthenticatedUntil: timestampFromDate(until) };
    },
  };
}
