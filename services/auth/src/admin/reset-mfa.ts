import type { ServiceImpl } from '@connectrpc/connect';
import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import type { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { requireRole } from '@kith/interceptors';
import { sendMail } from '../accounts/account-mail.js';
import { findAccountById } from '../accounts/account-store.js';
import { mfaResetMail } from '../accounts/mail-templates.js';
import type { AuthApp } from '../app.js';
import { recordAudit } from '../audit/audit-log.js';
import { removeTotp } from '../mfa/totp-enrolment.js';
import { requestMeta } from '../request-meta.js';
import { cutAccess } from '../sessions/cut-access.js';
import { publishMfaChanged } from '../security-events.js';
import { accountView } from './account-view.js';
import { requireStaffStepUp } from './step-up.js';

/**
 * ResetMfa (ADMIN, step-up): for an owner locked out of their second factor (lost phone, or a
 * factor an intruder enrolled). TOTP, any pending enrolment and every recovery code go; every
 * session and API key ends (whoever enrolled the factor may hold them); the owner is told by
 * mail; staff, reason and counts go to the audit log. Nothing enrolled: nothing changes.
 */
export function resetMfaHandler(
  app: AuthApp,
): Pick<ServiceImpl<typeof AuthAdminService>, 'resetMfa'> {
  return {
    async resetMfa(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      // Staff locked out of their own factor ask another admin: no one lifts their own.
      if (req.userId === actor.userId) {
        throw new FailedPreconditionError('you cannot reset your own second factors');
      }
      await requireStaffStepUp(app, ctx, actor, req.stepUp);
      const now = app.clock();
      const meta = requestMeta(ctx);
      const outcome = await app.database.transaction(async (trx) => {
        const account = await findAccountById(trx, req.userId, { forUpdate: true });
        if (!account) throw new NotFoundError('account not found');
        const codes = await trx
          .selectFrom('recovery_codes')
          .select('id')
          .where('account_id', '=', account.id)
          .limit(1)
          .execute();
        const enrolled =
          account.totp_enabled_at !== null ||
          account.totp_pending_secret_enc !== null ||
          codes.length > 0;
        if (!enrolled) return { account: await accountView(trx, account), revocations: [] };
        await removeTotp(trx, account.id, now);
        const cut = await cutAccess(app, trx, {
          accountId: account.id,
          reason: 'mfa_reset',
          revokeSessions: true,
          revokeApiKeys: true,
          actorId: actor.userId,
          now,
        });
        await sendMail(app, trx, account.email, mfaResetMail());
        await recordAudit(trx, {
          type: 'mfa_reset',
          accountId: account.id,
          actorId: actor.userId,
          meta,
          details: {
            reason: req.reason,
            revoked_sessions: String(cut.revokedSessions),
            revoked_api_keys: String(cut.revokedApiKeys),
          },
          at: now,
        });
        await publishMfaChanged(app, trx, {
          accountId: account.id,
          change: 'reset_by_staff',
          staffId: actor.userId,
        });
        const reloaded = await findAccountById(trx, account.id);
        return { account: await accountView(trx, reloaded!), revocations: cut.revocations };
      });
      await app.publishRevocations(outcome.revocations);
      return { account: outcome.account };
    },
  };
}
