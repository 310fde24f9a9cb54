import type { HandlerContext } from '@connectrpc/connect';
import { UnauthenticatedError } from '@kith/errors';
import type { ChangePasswordRequest } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { requirePrincipal } from '@kith/interceptors';
import type { AuthApp } from '../app.js';
import { recordAudit } from '../audit/audit-log.js';
import { loadCallerAccount } from '../db/accounts.js';
import { requestMeta } from '../request-meta.js';
import type { TokenPairInit } from '../sessions/sessions.js';
import { sendMail } from './account-mail.js';
import { confirmCurrentPassword } from './current-password.js';
import { retireEmailTokens } from './email-tokens.js';
import { cutAccess } from '../sessions/cut-access.js';
import { publishPasswordChanged } from '../security-events.js';
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
  req: ChangePasswordRequest,
  ctx: HandlerContext,
): Promise<{ tokens: TokenPairInit }> {
  const principal = requirePrincipal(ctx);
  const sessionId = principal.sessionId;
  if (!sessionId) throw new UnauthenticatedError();
  const meta = requestMeta(ctx);
  const now = app.clock();
  const account = await loadCallerAccount(app.database.db, principal.userId);
  await confirmCurrentPassword(app, {
    account,
    password: req.currentPassword,
    sessionId,
    meta,
    now,
    during: 'change_password',
  });
  requireAcceptablePassword(
    req.newPassword,
    { email: account.email, username: account.username },
    'new_password',
  );
  const passwordHash = await app.hasher.hash(req.newPassword);

  const { tokens, revocations } = await app.database.transaction(async (trx) => {
    const session = await trx
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', sessionId)
      .where('account_id', '=', account.id)
      .where('revoked_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!session) throw new UnauthenticatedError();
    await trx
      .updateTable('accounts')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', account.id)
      .execute();
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
    await recordAudit(trx, {
      type: 'password_changed',
      accountId: account.id,
      sessionId: session.id,
      meta,
      details: {
        revoked_sessions: String(cut.revokedSessions),
        revoked_api_keys: String(cut.revokedApiKeys),
      },
      at: now,
    });
    await publishPasswordChanged(app, trx, {
      accountId: account.id,
      kind: 'changed',
      from: meta,
      revokedSessions: cut.revokedSessions,
      revokedApiKeys: cut.revokedApiKeys,
    });
    return { tokens, revocations: cut.revocations };
  });
  await app.publishRevocations(revocations);
  return { tokens };
}
