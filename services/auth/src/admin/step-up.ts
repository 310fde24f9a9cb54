import type { StaffStepUp } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { confirmOwnerPresent } from '../accounts/owner-presence.js';
import type { AuthApp } from '../app.js';
import type { SignedInCaller } from '@kith/runtime';
import { loadCallerAccount } from '../accounts/caller-account.js';

/** What the staff member offered as step-up in the request. */
export interface StepUpOffer {
  currentPassword: string;
  totpCode: string;
}

export function stepUpOffer(stepUp: StaffStepUp | undefined): StepUpOffer {
  return { currentPassword: stepUp?.currentPassword ?? '', totpCode: stepUp?.totpCode ?? '' };
}

/**
 * Step-up for the staff actions that take over or shut out an account (SetRole, DisableAccount,
 * ResetMfa): the acting staff member's current password in the request, and a current TOTP code
 * too when they enrolled one. A stolen staff access token alone does none of these.
 */
export async function requireStaffStepUp(
  app: AuthApp,
  caller: SignedInCaller,
  stepUp: StepUpOffer,
): Promise<void> {
  const { principal: actor, meta, now } = caller;
  await confirmOwnerPresent(app, {
    account: await loadCallerAccount(app.database.db, actor.userId, now),
    offer: { password: stepUp.currentPassword, totpCode: stepUp.totpCode },
    sessionId: actor.sessionId ?? null,
    meta,
    now,
    during: 'staff_step_up',
    requireBoth: true,
    fields: { password: 'step_up.current_password', totpCode: 'step_up.totp_code' },
  });
}
