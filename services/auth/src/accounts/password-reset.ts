import { applyBootstrapAdmins } from '../admin/bootstrap.js';
import type { Caller } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import { publishPasswordChanged } from '../security-events.js';
import { audit } from '../audit/audit-store.js';
import type { RequestMeta } from '@kith/runtime';
import { sendMail } from './account-mail.js';
import { findAccountByCanonicalEmail, findAccountById, updateAccount } from './account-store.js';
import { lockoutOf } from './lockout.js';
import { cutAccess } from '../sessions/cut-access.js';
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
 * RequestPasswordReset: a link for a known account that staff have not disabled (a suspended or
 * banned one needs its password for the restricted session that reaches its appeal); nothing
 * otherwise. The answer and
 * the throttling are the same either way, and the lookup and the link are made after the answer,
 * so neither its content nor its timing reveals anything about the address.
 * Earlier links stay valid until they expire or one of them is used (mail can arrive out of
 * order); ResetPassword retires the rest.
 */
export async function requestPasswordReset(
  app: AuthApp,
  caller: Caller,
  input: { email: string },
): Promise<void> {
  const { meta, now } = caller;
  const canonical = requireCanonicalEmail(input.email, 'email');
  await app.throttle.beforeMail(meta.ip, canonical);
  app.afterAnswer.run('password reset mail', () => mailResetLink(app, canonical, meta, now));
}

async function mailResetLink(
  app: AuthApp,
  canonical: string,
  meta: RequestMeta,
  now: Date,
): Promise<void> {
  await app.database.transaction(async (trx) => {
    const account = await findAccountByCanonicalEmail(trx, canonical);
    if (!account || lockoutOf(account, now) === 'disabled') return;
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
    await audit(trx, { accountId: account.id, meta, now }, 'password_reset_requested');
  });
}

/**
 * ResetPassword: sets the new password, marks the address verified (the link proved control of
 * the inbox), and ends every session, access token and API key of the account.
 */
export async function resetPassword(
  app: AuthApp,
  caller: Caller,
  input: { token: string; newPassword: string },
): Promise<void> {
  const { meta, now } = caller;
  // Looked at first, without using it up: a refused password must leave the link working.
  const preview = await findLiveEmailToken(app.database.db, input.token, ['reset_password'], now);
  const holder = preview && (await findAccountById(app.database.db, preview.account_id));
  if (
    !preview ||
    !holder ||
    lockoutOf(holder, now) === 'disabled' ||
    preview.email !== holder.email
  ) {
    throw invalidLinkError();
  }
  requireAcceptablePassword(
    input.newPassword,
    { email: holder.email, username: holder.username },
    'new_password',
  );
  const passwordHash = await app.hasher.hash(input.newPassword);

  await app.database.transaction(async (trx) => {
    const token = await redeemEmailToken(trx, input.token, ['reset_password'], now);
    if (!token) throw invalidLinkError();
    const account = await findAccountById(trx, token.account_id, { forUpdate: true });
    if (!account || lockoutOf(account, now) === 'disabled' || token.email !== account.email) {
      throw invalidLinkError();
    }
    await updateAccount(trx, account.id, {
      password_hash: passwordHash,
      email_verified_at: account.email_verified_at ?? now,
      // A reset is how an owner takes an account back: an e-mail change someone else started
      // with the old password must not survive it.
      pending_email: null,
      updated_at: now,
    });
    await retireEmailTokens(trx, account.id, ['reset_password', 'change_email'], now);
    const cut = await cutAccess(app, trx, {
      accountId: account.id,
      reason: 'password_reset',
      revokeSessions: true,
      revokeApiKeys: true,
      now,
    });
    if (account.email_verified_at === null) {
      await audit(trx, { accountId: account.id, meta, now }, 'email_verified', {
        via: 'password_reset',
      });
      await app.emit(trx, account.id, { case: 'authEmailVerified', value: { userId: account.id } });
    }
    await sendMail(app, trx, account.email, passwordChangedMail('reset'));
    await audit(trx, { accountId: account.id, meta, now }, 'password_reset', {
      revoked_sessions: String(cut.revokedSessions),
      revoked_api_keys: String(cut.revokedApiKeys),
    });
    await publishPasswordChanged(app, trx, {
      accountId: account.id,
      kind: 'reset',
      from: meta,
      revokedSessions: cut.revokedSessions,
      revokedApiKeys: cut.revokedApiKeys,
    });
  });
  // A reset also proves the inbox (an unverified address becomes verified).
  await applyBootstrapAdmins(app);
}
