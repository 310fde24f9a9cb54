import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { AuthApp } from '../app.js';
import { callerOf, signedInCaller } from '@kith/runtime';
import { cancelEmailChange } from './cancel-email-change.js';
import { changeEmail } from './change-email.js';
import { changePassword } from './change-password.js';
import { getAccount } from './get-account.js';
import { requestPasswordReset, resetPassword } from './password-reset.js';
import { register } from './register.js';
import { resendVerification, verifyEmail } from './verify-email.js';

/** Sign-up, e-mail verification, password reset and change, e-mail change, the own account. */
export function accountHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async register(req, ctx) {
      const caller = callerOf(app, ctx);
      await register(app, caller, {
        email: req.email,
        username: req.username,
        password: req.password,
        locale: req.locale,
        consent: req.consent,
      });
      return {};
    },

    async verifyEmail(req, ctx) {
      const caller = callerOf(app, ctx);
      return verifyEmail(app, caller, { token: req.token });
    },

    async resendVerification(req, ctx) {
      const caller = callerOf(app, ctx);
      await resendVerification(app, caller, { email: req.email });
      return {};
    },

    async requestPasswordReset(req, ctx) {
      const caller = callerOf(app, ctx);
      await requestPasswordReset(app, caller, { email: req.email });
      return {};
    },

    async resetPassword(req, ctx) {
      const caller = callerOf(app, ctx);
      await resetPassword(app, caller, { token: req.token, newPassword: req.newPassword });
      return {};
    },

    async changePassword(req, ctx) {
      const caller = signedInCaller(app, ctx);
      return changePassword(app, caller, {
        currentPassword: req.currentPassword,
        newPassword: req.newPassword,
      });
    },

    async changeEmail(req, ctx) {
      const caller = signedInCaller(app, ctx);
      return changeEmail(app, caller, {
        currentPassword: req.currentPassword,
        newEmail: req.newEmail,
      });
    },

    async cancelEmailChange(req, ctx) {
      const caller = callerOf(app, ctx);
      await cancelEmailChange(app, caller, { token: req.token });
      return {};
    },

    async getAccount(_req, ctx) {
      const caller = signedInCaller(app, ctx);
      return { account: await getAccount(app, caller) };
    },
  };
}
