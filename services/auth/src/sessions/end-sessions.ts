import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { NotFoundError, UnauthenticatedError } from '@kith/errors';
import type { AuthApp } from '../app.js';
import { revocationReason } from '../security-events.js';
import { dropPendingEmailChange } from '../accounts/pending-email.js';
import { audit } from '../audit/audit-store.js';
import type { SignedInCaller } from '@kith/runtime';
import { forgetDevices } from '../devices/known-devices.js';
import { ownsSession } from './session-store.js';

/** Logout: ends the caller's own session; verifiers learn it once it commits. */
export async function logout(app: AuthApp, caller: SignedInCaller): Promise<void> {
  const { principal, meta, now } = caller;
  const sessionId = principal.sessionId;
  if (!sessionId) throw new UnauthenticatedError();
  await app.database.transaction(async (trx) => {
    const revoked = await app.sessions.revoke(
      trx,
      { accountId: principal.userId, sessionIds: [sessionId] },
      'logout',
      now,
    );
    await audit(trx, { accountId: principal.userId, sessionId, meta, now }, 'logout');
    for (const id of revoked) {
      await app.emit(trx, principal.userId, {
        case: 'authSessionRevoked',
        value: { userId: principal.userId, sessionId: id, reason: revocationReason('logout') },
      });
    }
  });
}

/**
 * LogoutAll: every session of the caller ends (but the current one, when asked to keep it),
 * and without `keepCurrentSession` every access token too. Returns how many sessions ended.
 */
export async function logoutAll(
  app: AuthApp,
  caller: SignedInCaller,
  input: { keepCurrentSession: boolean },
): Promise<number> {
  const { principal, meta, now } = caller;
  const keep = input.keepCurrentSession ? principal.sessionId : undefined;
  return app.database.transaction(async (trx) => {
    const revoked = await app.sessions.revoke(
      trx,
      { accountId: principal.userId, exceptSessionId: keep },
      'logout_all',
      now,
    );
    // "Sign out everywhere" is how an owner evicts an intruder: an e-mail change the intruder
    // started must not complete afterwards. API keys stay (ADR 0009).
    await dropPendingEmailChange(trx, principal.userId, now);
    // Nor may a device the intruder signed in from stay known (no new-device code for it).
    await forgetDevices(trx, principal.userId);
    if (!keep) {
      // Also every access token not tied to a session row we just revoked.
      await app.sessions.invalidateAccessTokens(trx, principal.userId, now);
      await app.emit(trx, principal.userId, {
        case: 'authTokensInvalidated',
        value: {
          userId: principal.userId,
          validAfter: timestampFromDate(now),
          reason: revocationReason('logout_all'),
        },
      });
    }
    for (const sessionId of revoked) {
      await app.emit(trx, principal.userId, {
        case: 'authSessionRevoked',
        value: { userId: principal.userId, sessionId, reason: revocationReason('logout_all') },
      });
    }
    await audit(
      trx,
      { accountId: principal.userId, sessionId: principal.sessionId ?? null, meta, now },
      'logout_all',
      { revoked_sessions: String(revoked.length) },
    );
    return revoked.length;
  });
}

/** RevokeSession: ends one of the caller's sessions; anyone else's is NotFound, like none. */
export async function revokeSession(
  app: AuthApp,
  caller: SignedInCaller,
  input: { sessionId: string },
): Promise<void> {
  const { principal, meta, now } = caller;
  await app.database.transaction(async (trx) => {
    const revoked = await app.sessions.revoke(
      trx,
      { accountId: principal.userId, sessionIds: [input.sessionId] },
      'revoked_by_user',
      now,
    );
    if (revoked.length === 0) {
      // Someone else's session, or one already gone: indistinguishable on purpose.
      if (!(await ownsSession(trx, principal.userId, input.sessionId))) {
        throw new NotFoundError('session not found');
      }
      return;
    }
    await audit(
      trx,
      { accountId: principal.userId, sessionId: input.sessionId, meta, now },
      'session_revoked',
    );
    await app.emit(trx, principal.userId, {
      case: 'authSessionRevoked',
      value: {
        userId: principal.userId,
        sessionId: input.sessionId,
        reason: revocationReason('revoked_by_user'),
      },
    });
  });
}
