import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { InvalidArgumentError } from '@kith/errors';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { requirePrincipal } from '@kith/interceptors';
import type { AuthApp } from '../app.js';
import { requestMeta } from '../request-meta.js';
import { completeMfa } from './complete-mfa.js';
import { confirmTotp, disableTotp, enrollTotp, regenerateRecoveryCodes } from './manage-totp.js';

// protovalidate already requires the oneofs; this keeps the types honest.
const factorRequired = () =>
  new InvalidArgumentError([{ field: 'factor', message: 'a code is required' }]);

/** CompleteMfa (public) and the signed-in TOTP and recovery-code management. */
export function mfaHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async completeMfa(req, ctx) {
      if (req.factor.case === undefined) throw factorRequired();
      return completeMfa(
        app,
        { challengeToken: req.challengeToken, factor: req.factor, deviceToken: req.deviceToken },
        requestMeta(ctx),
      );
    },

    async enrollTotp(req, ctx) {
      const enrolment = await enrollTotp(
        app,
        requirePrincipal(ctx),
        req.currentPassword,
        requestMeta(ctx),
      );
      return {
        secret: enrolment.secret,
        otpauthUri: enrolment.uri,
        expiresAt: timestampFromDate(enrolment.expiresAt),
      };
    },

    async confirmTotp(req, ctx) {
      const codes = await confirmTotp(app, requirePrincipal(ctx), req.totpCode, requestMeta(ctx));
      return { recoveryCodes: codes };
    },

    async disableTotp(req, ctx) {
      const principal = requirePrincipal(ctx);
      if (req.factor.case === undefined) throw factorRequired();
      await disableTotp(app, principal, req.factor, requestMeta(ctx));
      return {};
    },

    async regenerateRecoveryCodes(req, ctx) {
      const principal = requirePrincipal(ctx);
      const codes = await regenerateRecoveryCodes(app, principal, req.totpCode, requestMeta(ctx));
      return { recoveryCodes: codes };
    },
  };
}
