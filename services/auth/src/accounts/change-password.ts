import { UnauthenticatedError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import { publishPasswordChanged } from '../security-events.js';
import { audit } from '../audit/audit-store.js';
import { loadCallerAccount } from './caller-account.js';
import type { TokenPairInit } from '../sessions/sessions.js';
import { findUnrevokedSession } from '../sessions/session-store.js';
import { sendMail } from './account-mail.js';
import { updateAccount } from './account-store.js';
import { confirmCurrentPassword } from './current-password.js';
import { retireEmailTokens } from './email-tokens.js';
import { cutAccess } from '../sessions/cut-access.js';
import { passwordChangedMail } from './mail-templates.js';
import { requireAcceptablePassword } from './violations.js';

/**
 * ChangePassword. The current password is the re-authentication. Every access token of the
 * account dies, every other session ends and every API key is revoked (a password change is
 * what an owner does after a suspected compromise: whatever an intruder started with the old
 * password must not outlive it, ADR 0009), outstanding reset links are retired and a pending
 * e-mail change is dropped. The calling session carries on with fresh tokens.
 */
export async function changePassword(
  app: AuthApp,
  caller: SignedInCaller,
  input: { currentPassword: string; newPassword: string },
): Promise<{ tokens: TokenPairInit }> {
  const { principal, meta, now } = caller;
  const sessionId = principal.sessionId;
  if (!sessionId) throw new UnauthenticatedError();
  const account = await loadCallerAccount(app.database.db, principal.userId, now);
  await confirmCurrentPassword(app, {
    account,
    password: input.currentPassword,
    sessionId,
    meta,
    now,
    during: 'change_password',
  });
  requireAcceptablePassword(
    input.newPassword,
    { email: account.email, username: account.username },
    'new_password',
  );
  const passwordHash = await app.hasher.hash(input.newPassword);

  return app.database.transaction(async (trx) => {
    const session = await findUnrevokedSession(trx, account.id, sessionId, { forUpdate: true });
    if (!session) throw new UnauthenticatedError();
    await updateAccount(trx, account.id, { password_hash: passwordHash, updated_at: now });
    // A reset link mailed before the change must not set a password after it.
    await retireEmailTokens(trx, account.id, ['reset_password'], now);
    const cut = await cutAccess(app, trx, {
      accountId: account.id,
      reason: 'password_changed',
      revokeSessions: true,
      revokeApiKeys: true,
      keepSessionId: session.id,
      now,
    });
    // The password was just proved: the session's re-auth clock restarts, with a new pair.
    // (cutAccess has just moved tokens_valid_after to now.)
    const tokens = await app.sessions.restartAuth(
      trx,
      { ...account, tokens_valid_after: now },
      session.id,
      now,
      { ip: meta.ip, userAgent: meta.userAgent },
    );
    await sendMail(app, trx, account.email, passwordChangedMail('changed'));
    await audit(
      trx,
      { accountId: account.id, sessionId: session.id, meta, now },
      'password_changed',
      {
        revoked_sessions: String(cut.revokedSessions),
        revoked_api_keys: String(cut.revokedApiKeys),
      },
    );
    await publishPasswordChanged(app, trx, {
      accountId: account.id,
      kind: 'changed',
      from: meta,
      revokedSessions: cut.revokedSessions,
      revokedApiKeys: cut.revokedApiKeys,
    });
    return { tokens };
  });
}
