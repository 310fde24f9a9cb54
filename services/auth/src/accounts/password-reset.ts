import type { HandlerContext } from '@connectrpc/connect';
import type {
  RequestPasswordResetRequest,
  ResetPasswordRequest,
} from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { AuthApp } from '../app.js';
import { recordAudit } from '../audit/audit-log.js';
import { requestMeta } from '../request-meta.js';
import type { RequestMeta } from '../request-meta.js';
import { sendMail } from './account-mail.js';
import { findAccountByCanonicalEmail, findAccountById } from './account-store.js';
import { cutAccess } from '../sessions/cut-access.js';
import { publishPasswordChanged } from '../security-events.js';
import {
  emailLink,
  findLiveEmailToken,
  invalidLinkError,
  issueEmailToken,
  redeemEmailToken,
  retireEmailTokens,
} from './email-tokens.js';
import { passwordChangedMail, passwordResetMail } from './mail-templates.js';
import { requireAcceptablePassword, requireCanonicalEmail } from './violations.js';

/**
 * RequestPasswordReset: a link for a known, enabled account; nothing otherwise. The answer and
 * the throttling are the same either way, and the lookup and the link are made after the answer,
 * so neither its content nor its timing reveals anything about the address.
 * Earlier links stay valid until they expire or one of them is used (mail can arrive out of
 * order); ResetPassword retires the rest.
 */
export async function requestPasswordReset(
  app: AuthApp,
  req: RequestPasswordResetRequest,
  ctx: HandlerContext,
): Promise<Record<string, never>> {
  const meta = requestMeta(ctx);
  const canonical = requireCanonicalEmail(req.email, 'email');
  await app.throttle.beforeMail(meta.ip, canonical);
  const now = app.clock();
  app.afterAnswer.run('password reset mail', () => mailResetLink(app, canonical, meta, now));
  return {};
}

async function mailResetLink(
  app: AuthApp,
  canonical: string,
  meta: RequestMeta,
  now: Date,
): Promise<void> {
  await app.database.transaction(async (trx) => {
    const account = await findAccountByCanonicalEmail(trx, canonical);
    if (!account || account.disabled_at !== null) return;
    const ttlMs = app.config.passwordResetTtlMs;
    // Sent to the address on file, not to the spelling the caller typed.
    const token = await issueEmailToken(trx, {
      accountId: account.id,
      purpose: 'reset_password',
      email: account.email,
      ttlMs,
      now,
    });
    await sendMail(
      app,
      trx,
      account.email,
      passwordResetMail(emailLink(app.config.linkBaseUrl, 'reset-password', token), ttlMs),
    );
    await recordAudit(trx, {
      type: 'password_reset_requested',
      accountId: account.id,
      meta,
      at: now,
    });
  });
}

/**
 * ResetPassword: sets the new password, marks the address verified (the link proved control of
 * the inbox), and ends every session, access token and API key of the account.
 */
export async function resetPassword(
  app: AuthApp,
  req: ResetPasswordRequest,
  ctx: HandlerContext,
): Promise<Record<string, never>> {
  const meta = requestMeta(ctx);
  const now = app.clock();
  // Looked at first, without using it up: a refused password must leave the link working.
  const preview = await findLiveEmailToken(app.database.db, req.token, ['reset_password'], now);
  const holder = preview && (await findAccountById(app.database.db, preview.account_id));
  if (!preview || !holder || holder.disabled_at !== null || preview.email !== holder.email) {
    throw invalidLinkError();
  }
  requireAcceptablePassword(
    req.newPassword,
    { email: holder.email, username: holder.username },
    'new_password',
  );
  const passwordHash = await app.hasher.hash(req.newPassword);

  const revocations = await app.database.transaction(async (trx) => {
    const token = await redeemEmailToken(trx, req.token, ['reset_password'], now);
    if (!token) throw invalidLinkError();
    const account = await findAccountById(trx, token.account_id, { forUpdate: true });
    if (!account || account.disabled_at !== null || token.email !== account.email) {
      throw invalidLinkError();
    }
    await trx
      .updateTable('accounts')
      .set({
        password_hash: passwordHash,
        email_verified_at: account.email_verified_at ?? now,
        // A reset is how an owner takes an account back: an e-mail change someone else started
        // with the old password must not survive it.
        pending_email: null,
        updated_at: now,
      })
      .where('id', '=', account.id)
      .execute();
    await retireEmailTokens(trx, account.id, ['reset_password', 'change_email'], now);
    const cut = await cutAccess(app, trx, {
      accountId: account.id,
      reason: 'password_reset',
      revokeSessions: true,
      revokeApiKeys: true,
      now,
    });
    if (account.email_verified_at === null) {
      await recordAudit(trx, {
        type: 'email_verified',
        accountId: account.id,
        meta,
        details: { via: 'password_reset' },
        at: now,
      });
      await app.emit(trx, account.id, { case: 'authEmailVerified', value: { userId: account.id } });
    }
    await sendMail(app, trx, account.email, passwordChangedMail('reset'));
    await recordAudit(trx, {
      type: 'password_reset',
      accountId: account.id,
      meta,
      details: {
        revoked_sessions: String(cut.revokedSessions),
        revoked_api_keys: String(cut.revokedApiKeys),
      },
      at: now,
    });
    await publishPasswordChanged(app, trx, {
      accountId: account.id,
      kind: 'reset',
      from: meta,
      revokedSessions: cut.revokedSessions,
      revokedApiKeys: cut.revokedApiKeys,
    });
    return cut.revocations;
  });
  await app.publishRevocations(revocations);
  return {};
}
