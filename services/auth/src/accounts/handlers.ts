import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { requirePrincipal } from '@kith/interceptors';
import { applyBootstrapAdmins } from '../admin/bootstrap.js';
import type { AuthApp } from '../app.js';
import { loadCallerAccount } from '../db/accounts.js';
import { toAccountMessage } from './account-message.js';
import { linkedIdentities, unusedRecoveryCodes } from './account-store.js';
import { cancelEmailChange } from './cancel-email-change.js';
import { changeEmail } from './change-email.js';
import { changePassword } from './change-password.js';
import { requestPasswordReset, resetPassword } from './password-reset.js';
import { register } from './register.js';
import { resendVerification, verifyEmail } from './verify-email.js';

/** Sign-up, e-mail verification, password reset and change, e-mail change, the own account. */
export function accountHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  return {
    register: (req, ctx) => register(app, req, ctx),
    async verifyEmail(req, ctx) {
      const verified = await verifyEmail(app, req, ctx);
      // A freshly verified address may be one named in AUTH_BOOTSTRAP_ADMINS.
      await applyBootstrapAdmins(app);
      return verified;
    },
    resendVerification: (req, ctx) => resendVerification(app, req, ctx),
    requestPasswordReset: (req, ctx) => requestPasswordReset(app, req, ctx),
    async resetPassword(req, ctx) {
      const reset = await resetPassword(app, req, ctx);
      // A reset also proves the inbox (an unverified address becomes verified).
      await applyBootstrapAdmins(app);
      return reset;
    },
    changePassword: (req, ctx) => changePassword(app, req, ctx),
    changeEmail: (req, ctx) => changeEmail(app, req, ctx),
    cancelEmailChange: (req, ctx) => cancelEmailChange(app, req, ctx),

    async getAccount(_req, ctx) {
      const principal = requirePrincipal(ctx);
      const db = app.database.db;
      const account = await loadCallerAccount(db, principal.userId);
      const [recoveryCodesRemaining, identities] = await Promise.all([
        unusedRecoveryCodes(db, account.id),
        linkedIdentities(db, account.id),
      ]);
      return { account: toAccountMessage(account, { recoveryCodesRemaining, identities }) };
    },
  };
}
