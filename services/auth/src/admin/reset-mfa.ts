import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import { sendMail } from '../accounts/account-mail.js';
import { findAccountById } from '../accounts/account-store.js';
import { mfaResetMail } from '../accounts/mail-templates.js';
import type { AuthApp } from '../app.js';
import { publishMfaChanged } from '../security-events.js';
import { audit } from '../audit/audit-store.js';
import type { SignedInCaller } from '@kith/runtime';
import { removeTotp } from '../mfa/totp-enrolment.js';
import { cutAccess } from '../sessions/cut-access.js';
import { hasRecoveryCodes } from './admin-store.js';
import { accountView } from './account-view.js';
import type { AccountMessage } from './account-view.js';
import { requireStaffStepUp } from './step-up.js';
import type { StepUpOffer } from './step-up.js';

/**
 * ResetMfa (ADMIN, step-up): for an owner locked out of their second factor (lost phone, or a
 * factor an intruder enrolled). TOTP, any pending enrolment and every recovery code go; every
 * session and API key ends (whoever enrolled the factor may hold them); the owner is told by
 * mail; staff, reason and counts go to the audit log. Nothing enrolled: nothing changes.
 */
export async function resetMfa(
  app: AuthApp,
  caller: SignedInCaller,
  input: { userId: string; reason: string; stepUp: StepUpOffer },
): Promise<AccountMessage> {
  const { principal: actor, meta, now } = caller;
  // Staff locked out of their own factor ask another admin: no one lifts their own.
  if (input.userId === actor.userId) {
    throw new FailedPreconditionError('you cannot reset your own second factors');
  }
  await requireStaffStepUp(app, caller, input.stepUp);
  return app.database.transaction(async (trx) => {
    const account = await findAccountById(trx, input.userId, { forUpdate: true });
    if (!account) throw new NotFoundError('account not found');
    const enrolled =
      account.totp_enabled_at !== null ||
      account.totp_pending_secret_enc !== null ||
      (await hasRecoveryCodes(trx, account.id));
    if (!enrolled) return accountView(trx, account);
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
    await audit(trx, { accountId: account.id, actorId: actor.userId, meta, now }, 'mfa_reset', {
      reason: input.reason,
      revoked_sessions: String(cut.revokedSessions),
      revoked_api_keys: String(cut.revokedApiKeys),
    });
    await publishMfaChanged(app, trx, {
      accountId: account.id,
      change: 'reset_by_staff',
      staffId: actor.userId,
    });
    const reloaded = await findAccountById(trx, account.id);
    return accountView(trx, reloaded!);
  });
}
