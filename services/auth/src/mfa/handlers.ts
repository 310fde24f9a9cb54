import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { AuthApp } from '../app.js';
import { callerOf, signedInCaller } from '@kith/runtime';
import { completeMfa } from './complete-mfa.js';
import { confirmTotp, disableTotp, enrollTotp, regenerateRecoveryCodes } from './manage-totp.js';

/** CompleteMfa (public) and the signed-in TOTP and recovery-code management. */
export function mfaHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async completeMfa(req, ctx) {
      const caller = callerOf(app, ctx);
      return completeMfa(app, caller, {
        challengeToken: req.challengeToken,
        factor: req.factor,
        deviceToken: req.deviceToken,
      });
    },

    async enrollTotp(req, ctx) {
      const caller = signedInCaller(app, ctx);
      const enrolment = await enrollTotp(app, caller, { currentPassword: req.currentPassword });
      return {
        secret: enrolment.secret,
        otpauthUri: enrolment.uri,
        expiresAt: timestampFromDate(enrolment.expiresAt),
      };
    },

    async confirmTotp(req, ctx) {
      const caller = signedInCaller(app, ctx);
      return { recoveryCodes: await confirmTotp(app, caller, { totpCode: req.totpCode }) };
    },

    async disableTotp(req, ctx) {
      const caller = signedInCaller(app, ctx);
      await disableTotp(app, caller, req.factor);
      return {};
    },

    async regenerateRecoveryCodes(req, ctx) {
      const caller = signedInCaller(app, ctx);
      const codes = await regenerateRecoveryCodes(app, caller, { totpCode: req.totpCode });
      return { recoveryCodes: codes };
    },
  };
}
