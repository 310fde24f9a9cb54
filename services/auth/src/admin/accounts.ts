import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import type { AuthApp } from '../app.js';
import { staffCaller } from '@kith/runtime';
import { disableAccount, enableAccount, lookupAccount, setRole } from './account-status.js';
import { resetMfa } from './reset-mfa.js';
import { roleFromProto } from './roles.js';
import { stepUpOffer } from './step-up.js';

type AccountAdminHandlers = Pick<
  ServiceImpl<typeof AuthAdminService>,
  'setRole' | 'lookupAccount' | 'disableAccount' | 'enableAccount' | 'resetMfa'
>;

/** Roles, account disabling and MFA resets. Every method checks for ADMIN before it reads anything. */
export function accountAdminHandlers(app: AuthApp): AccountAdminHandlers {
  return {
    async setRole(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      const account = await setRole(app, caller, {
        userId: req.userId,
        role: roleFromProto(req.role),
        reason: req.reason,
        stepUp: stepUpOffer(req.stepUp),
      });
      return { account };
    },

    async lookupAccount(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      const lookup =
        req.lookup.case === 'userId'
          ? { userId: req.lookup.value }
          : req.lookup.case === 'email'
            ? { email: req.lookup.value }
            : undefined;
      return { account: await lookupAccount(app, caller, lookup) };
    },

    async disableAccount(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      const account = await disableAccount(app, caller, {
        userId: req.userId,
        reason: req.reason,
        stepUp: stepUpOffer(req.stepUp),
      });
      return { account };
    },

    async enableAccount(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      return {
        account: await enableAccount(app, caller, { userId: req.userId, reason: req.reason }),
      };
    },

    async resetMfa(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      const account = await resetMfa(app, caller, {
        userId: req.userId,
        reason: req.reason,
        stepUp: stepUpOffer(req.stepUp),
      });
      return { account };
    },
  };
}
