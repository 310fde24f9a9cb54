import type { Principal } from '@kith/context';
import { FailedPreconditionError, UnauthenticatedError } from '@kith/errors';

/** The re-auth window of sensitive changes outside auth (leaving a circle, the SOS ladder). */
export const RECENT_AUTH_WINDOW_MS = 60 * 60_000;

/**
 * Sensitive changes in services other than auth need a signed-in session whose user proved who
 * they are (password, MFA or Reauthenticate) within the window: read from the verified access
 * token's `auth_time`, so it costs no call to auth. Access tokens live minutes and die with
 * their session, so an old token cannot carry a stale proof for long; Reauthenticate answers
 * with a new token whose `auth_time` is now. API keys never qualify. Auth's own sensitive
 * changes read the session row instead (services/auth/src/sessions/recent-auth.ts).
 */
export function requireRecentAuth(
  principal: Principal | undefined,
  now: Date,
  windowMs: number = RECENT_AUTH_WINDOW_MS,
): void {
  if (!principal || principal.via !== 'access_token' || !principal.sessionId) {
    throw new UnauthenticatedError();
  }
  const provedAt = (principal.authTime ?? 0) * 1000;
  if (now.getTime() - provedAt > windowMs) {
    throw new FailedPreconditionError('reauthentication required: call Reauthenticate first');
  }
}
