import type { HandlerContext } from '@connectrpc/connect';
import type { Principal } from '@kith/context';
import type { StaffStepUp } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { confirmOwnerPresent } from '../accounts/owner-presence.js';
import type { AuthApp } from '../app.js';
import { loadCallerAccount } from '../db/accounts.js';
import { requestMeta } from '../request-meta.js';

/**
 * Step-up for the staff actions that take over or shut out an account (SetRole, DisableAccount,
 * ResetMfa): the acting staff member's current password in the request, and a current TOTP code
 * too when they enrolled one. A stolen staff access token alone does none of these.
 */
export async function requireStaffStepUp(
  app: AuthApp,
  ctx: Pick<HandlerContext, 'values' | 'requestHeader'>,
  actor: Principal,
  stepUp: StaffStepUp | undefined,
): Promise<void> {
  await confirmOwnerPresent(app, {
    account: await loadCallerAccount(app.database.db, actor.userId),
    offer: { password: stepUp?.currentPassword ?? '', totpCode: stepUp?.totpCode ?? '' },
    sessionId: actor.sessionId ?? null,
    meta: requestMeta(ctx),
    now: app.clock(),
    during: 'staff_step_up',
    requireBoth: true,
    fields: { password: 'step_up.current_password', totpCode: 'step_up.totp_code' },
  });
}
