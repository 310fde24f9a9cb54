import { InvalidArgumentError, PermissionDeniedError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import { emailDomain, maskEmail } from '../credentials/index.js';
import { loadCallerAccount } from './caller-account.js';
import { sendMail } from './account-mail.js';
import { emailTakenByOther, updateAccount } from './account-store.js';
import { emailDomainBlocked } from '../admin/admin-store.js';
import { confirmCurrentPassword } from './current-password.js';
import { emailLink, issueEmailToken, retireEmailTokens } from './email-tokens.js';
import {
  confirmNewEmailMail,
  emailAlreadyInUseMail,
  emailChangeRequestedMail,
} from './mail-templates.js';
import { requireCanonicalEmail } from './violations.js';

/**
 * ChangeEmail: after the current password, the new address becomes pending and gets a link;
 * the current address gets a notice with a link that cancels the change (CancelEmailChange). An address that belongs to another account gets a notice
 * instead of a link, and everything the caller can see (answer, pending address) is the same,
 * so the call cannot be used to find out which addresses have accounts.
 */
export async function changeEmail(
  app: AuthApp,
  caller: SignedInCaller,
  input: { currentPassword: string; newEmail: string },
): Promise<{ pendingEmail: string }> {
  const { principal, meta, now } = caller;
  const account = await loadCallerAccount(app.database.db, principal.userId, now);
  const sessionId = principal.sessionId ?? null;
  const { needsRehash } = await confirmCurrentPassword(app, {
    account,
    password: input.currentPassword,
    sessionId,
    meta,
    now,
    during: 'change_email',
  });
  const newEmail = input.newEmail.trim();
  const canonical = requireCanonicalEmail(newEmail, 'new_email');
  if (canonical === account.email_canonical) {
    throw new InvalidArgumentError([{ field: 'new_email', message: 'is already your address' }]);
  }
  if (await emailDomainBlocked(app.database.db, emailDomain(newEmail))) {
    await app.database.transaction((trx) =>
      audit(trx, { accountId: account.id, sessionId, meta, now }, 'blocked_by_policy', {
        reason: 'email_domain_blocked',
        during: 'change_email',
      }),
    );
    throw new PermissionDeniedError('this e-mail domain cannot be used');
  }
  await app.throttle.beforeMail(meta.ip, canonical);
  const rehash = needsRehash ? await app.hasher.hash(input.currentPassword) : undefined;

  await app.database.transaction(async (trx) => {
    await updateAccount(trx, account.id, {
      pending_email: newEmail,
      updated_at: now,
      ...(rehash === undefined ? {} : { password_hash: rehash }),
    });
    // Only the newest change can complete, and only its cancel link works.
    await retireEmailTokens(trx, account.id, ['change_email', 'cancel_email_change'], now);
    const taken = await emailTakenByOther(trx, canonical, account.id);
    if (taken) {
      await sendMail(app, trx, newEmail, emailAlreadyInUseMail());
    } else {
      const ttlMs = app.config.emailVerificationTtlMs;
      const token = await issueEmailToken(trx, {
        accountId: account.id,
        purpose: 'change_email',
        email: newEmail,
        ttlMs,
        now,
      });
      await sendMail(
        app,
        trx,
        newEmail,
        confirmNewEmailMail(emailLink(app.config.linkBaseUrl, 'verify-email', token), ttlMs),
      );
    }
    const cancelTtlMs = app.config.emailVerificationTtlMs;
    const cancelToken = await issueEmailToken(trx, {
      accountId: account.id,
      purpose: 'cancel_email_change',
      email: account.email,
      ttlMs: cancelTtlMs,
      now,
    });
    await sendMail(
      app,
      trx,
      account.email,
      emailChangeRequestedMail(
        maskEmail(newEmail),
        emailLink(app.config.linkBaseUrl, 'cancel-email-change', cancelToken),
        cancelTtlMs,
      ),
    );
    await audit(trx, { accountId: account.id, sessionId, meta, now }, 'email_change_requested', {
      new_email: maskEmail(newEmail),
      ...(taken ? { outcome: 'address_in_use' } : {}),
    });
  });
  return { pendingEmail: newEmail };
}
