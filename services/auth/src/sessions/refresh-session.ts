import { UnauthenticatedError } from '@kith/errors';
import type { AuthApp } from '../app.js';
import { publishUserActive, revocationReason } from '../security-events.js';
import { audit } from '../audit/audit-store.js';
import { findAccountById } from '../accounts/account-store.js';
import { lockoutOf } from '../accounts/lockout.js';
import type { Caller } from '@kith/runtime';
import { sha256Hex } from '../crypto/secrets.js';
import {
  findRefreshTokenForUpdate,
  lockSession,
  markRefreshTokenUsed,
  touchSession,
} from './session-store.js';
import type { TokenPairInit } from './sessions.js';

/**
 * A refresh token presented again within this window of its rotation is a client racing itself
 * (two tabs, a retried request): it gets no tokens but does not burn the family. Later reuse is
 * treated as theft (RFC 9700 §4.14.2) and revokes the whole session.
 */
export const REUSE_GRACE_MS = 10_000;

/**
 * Refresh: rotates the refresh token and returns a new pair for the same session, restricted
 * while moderation suspends or bans the account and full again once that ends. Every way it can
 * fail (unknown, reused, revoked, expired, idle, account disabled) is one Unauthenticated; a
 * reuse outside the grace window also ends the session, and that commits before the refusal.
 */
export async function refreshSession(
  app: AuthApp,
  caller: Caller,
  input: { refreshToken: string },
): Promise<TokenPairInit> {
  const { meta, now } = caller;
  const tokens = await app.database.transaction(async (trx): Promise<TokenPairInit | undefined> => {
    const token = await findRefreshTokenForUpdate(trx, sha256Hex(input.refreshToken));
    if (!token) return undefined;
    const session = await lockSession(trx, token.session_id);
    const account = await findAccountById(trx, session.account_id);
    if (!account) throw new Error(`session ${session.id} has no account`);
    if (token.used_at !== null) {
      if (now.getTime() - token.used_at.getTime() <= REUSE_GRACE_MS || session.revoked_at) {
        return undefined;
      }
      await app.sessions.revoke(
        trx,
        { accountId: account.id, sessionIds: [session.id] },
        'refresh_token_reuse',
        now,
      );
      await audit(
        trx,
        { accountId: account.id, sessionId: session.id, meta, now },
        'refresh_token_reused',
      );
      await app.emit(trx, null, {
        case: 'authSessionRevoked',
        value: {
          userId: account.id,
          sessionId: session.id,
          reason: revocationReason('refresh_token_reuse'),
        },
      });
      return undefined;
    }
    const idleDeadline = session.last_used_at.getTime() + app.config.refreshIdleTtlMs;
    if (
      session.revoked_at !== null ||
      session.expires_at <= now ||
      idleDeadline <= now.getTime() ||
      lockoutOf(account, now) === 'disabled'
    ) {
      return undefined;
    }
    await markRefreshTokenUsed(trx, token.id, now);
    await touchSession(trx, session.id, now, meta);
    const tokens = await app.sessions.issue(trx, account, session, now);
    await audit(
      trx,
      { accountId: account.id, sessionId: session.id, meta, now },
      'token_refreshed',
    );
    // `session` was read before the update: last_used_at is the previous use.
    await publishUserActive(app, trx, session, now);
    return tokens;
  });
  if (!tokens) throw new UnauthenticatedError('invalid refresh token');
  return tokens;
}
