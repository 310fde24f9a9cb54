import { FailedPreconditionError, InvalidArgumentError } from '@kith/errors';
import { applyBootstrapAdmins } from '../admin/bootstrap.js';
import type { Caller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { AuthApp } from '../app.js';
import { publishEmailChanged } from '../security-events.js';
import { audit } from '../audit/audit-store.js';
import { canonicalEmail, maskEmail } from '../credentials/index.js';
import { loadCallerAccount } from './caller-account.js';
import { lockoutOf } from './lockout.js';
import type { Account, AuthDatabase, AuthTrx, EmailTokenPurpose } from '../db/schema.js';
import type { RequestMeta } from '@kith/runtime';
import { sendMail } from './account-mail.js';
import {
  emailTakenByOther,
  findAccountByCanonicalEmail,
  findAccountById,
  updateAccount,
} from './account-store.js';
import { cutAccess } from '../sessions/cut-access.js';
import {
  emailLink,
  invalidLinkError,
  issueEmailToken,
  redeemEmailToken,
  retireEmailTokens,
} from './email-tokens.js';
import type { EmailToken } from './email-tokens.js';
import {
  confirmNewEmailMail,
  emailAlreadyInUseMail,
  emailChangedMail,
  verifyEmailMail,
} from './mail-templates.js';
import { accountConflict } from './unique-violation.js';
import { requireCanonicalEmail } from './violations.js';

/**
 * VerifyEmail: redeems a sign-up or e-mail-change token. Every kind of bad token (unknown,
 * used, expired, stale) gets the same InvalidArgument on `token`.
 */
export async function verifyEmail(
  app: AuthApp,
  caller: Caller,
  input: { token: string },
): Promise<{ userId: string; email: string }> {
  const { meta, now } = caller;
  let verified: { userId: string; email: string };
  try {
    verified = await app.database.transaction(async (trx) => {
      const token = await redeemEmailToken(trx, input.token, ['verify_email', 'change_email'], now);
      if (!token) throw invalidLinkError();
      const account = await findAccountById(trx, token.account_id, { forUpdate: true });
      if (!account || lockoutOf(account, now) !== null) throw invalidLinkError();
      if (token.purpose === 'verify_email') {
        return confirmAddress(app, trx, account, token, meta, now);
      }
      return moveToNewAddress(app, trx, account, token, meta, now);
    });
  } catch (err) {
    // Someone registered the new address between our check and our update.
    if (accountConflict(err) === 'email') throw addressTakenError();
    throw err;
  }
  // A freshly verified address may be one named in AUTH_BOOTSTRAP_ADMINS.
  await applyBootstrapAdmins(app);
  return verified;
}

function addressTakenError(): FailedPreconditionError {
  return new FailedPreconditionError('this address is already used by another account');
}

async function confirmAddress(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  account: Account,
  token: EmailToken,
  meta: RequestMeta,
  now: Date,
): Promise<{ userId: string; email: string }> {
  // A link for an address the account no longer has proves nothing about the current one.
  if (token.email !== account.email) throw invalidLinkError();
  if (account.email_verified_at === null) {
    await updateAccount(trx, account.id, { email_verified_at: now, updated_at: now });
    await audit(trx, { accountId: account.id, meta, now }, 'email_verified');
    await app.emit(trx, account.id, { case: 'authEmailVerified', value: { userId: account.id } });
  }
  return { userId: account.id, email: account.email };
}

/**
 * The e-mail change completes: the pending address becomes the address, and since whoever
 * controls the address can reset the password, every session, access token and API key ends.
 */
async function moveToNewAddress(
  app: AuthApp,
  trx: AuthTrx,
  account: Account,
  token: EmailToken,
  meta: RequestMeta,
  now: Date,
): Promise<{ userId: string; email: string }> {
  if (account.pending_email === null || token.email !== account.pending_email) {
    throw invalidLinkError();
  }
  const canonical = canonicalEmail(token.email);
  if (await emailTakenByOther(trx, canonical, account.id)) throw addressTakenError();
  const oldEmail = account.email;
  await updateAccount(trx, account.id, {
    email: token.email,
    email_canonical: canonical,
    email_verified_at: now,
    pending_email: null,
    updated_at: now,
  });
  // Links mailed to the old address (a reset, a verification, a cancel) must not outlive it.
  await retireEmailTokens(
    trx,
    account.id,
    ['verify_email', 'reset_password', 'change_email', 'cancel_email_change'],
    now,
  );
  await cutAccess(app, trx, {
    accountId: account.id,
    reason: 'email_changed',
    revokeSessions: true,
    revokeApiKeys: true,
    now,
  });
  await sendMail(app, trx, oldEmail, emailChangedMail(maskEmail(token.email)));
  await audit(trx, { accountId: account.id, meta, now }, 'email_changed', {
    old_email: maskEmail(oldEmail),
    new_email: maskEmail(token.email),
  });
  await app.emit(trx, account.id, { case: 'authEmailVerified', value: { userId: account.id } });
  await publishEmailChanged(app, trx, {
    accountId: account.id,
    oldEmail,
    newEmail: token.email,
    from: meta,
  });
  return { userId: account.id, email: token.email };
}

/**
 * ResendVerification. Signed in: the account's pending address if a change is under way, else
 * its address if unverified. Anonymous: the account with the given address, if there is one
 * and it is unverified. The answer is always the same empty message.
 */
export async function resendVerification(
  app: AuthApp,
  caller: Caller,
  input: { email: string },
): Promise<void> {
  const { principal, meta, now } = caller;
  if (principal) {
    const account = await loadCallerAccount(app.database.db, principal.userId, now);
    const target = verificationTarget(account);
    if (!target) return;
    await app.throttle.beforeMail(meta.ip, canonicalEmail(target.email));
    await app.database.transaction((trx) => sendVerification(app, trx, account, target, now));
    return;
  }
  if (input.email === '') {
    throw new InvalidArgumentError([{ field: 'email', message: 'is required when not signed in' }]);
  }
  const canonical = requireCanonicalEmail(input.email, 'email');
  await app.throttle.beforeMail(meta.ip, canonical);
  // After the answer: a known address must not answer slower than an unknown one.
  app.afterAnswer.run('verification mail', () =>
    app.database.transaction(async (trx) => {
      const account = await findAccountByCanonicalEmail(trx, canonical);
      if (!account || lockoutOf(account, now) !== null || account.email_verified_at !== null) {
        return;
      }
      await sendVerification(
        app,
        trx,
        account,
        { purpose: 'verify_email', email: account.email },
        now,
      );
    }),
  );
}

interface VerificationTarget {
  purpose: Extract<EmailTokenPurpose, 'verify_email' | 'change_email'>;
  email: string;
}

/** What a signed-in resend confirms: a pending change first, else an unverified address. */
export function verificationTarget(
  account: Pick<Account, 'email' | 'email_verified_at' | 'pending_email'>,
): VerificationTarget | undefined {
  if (account.pending_email !== null)
    return { purpose: 'change_email', email: account.pending_email };
  if (account.email_verified_at === null) return { purpose: 'verify_email', email: account.email };
  return undefined;
}

async function sendVerification(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  account: Account,
  target: VerificationTarget,
  now: Date,
): Promise<void> {
  // Only the newest link works: an older one sitting in a mailbox is retired.
  await retireEmailTokens(trx, account.id, [target.purpose], now);
  if (
    target.purpose === 'change_email' &&
    (await emailTakenByOther(trx, canonicalEmail(target.email), account.id))
  ) {
    // As in ChangeEmail: the owner of that address gets a notice, never a link.
    await sendMail(app, trx, target.email, emailAlreadyInUseMail());
    return;
  }
  const ttlMs = app.config.emailVerificationTtlMs;
  const token = await issueEmailToken(trx, {
    accountId: account.id,
    purpose: target.purpose,
    email: target.email,
    ttlMs,
    now,
  });
  const link = emailLink(app.config.linkBaseUrl, 'verify-email', token);
  const content =
    target.purpose === 'verify_email'
      ? verifyEmailMail(link, ttlMs)
      : confirmNewEmailMail(link, ttlMs);
  await sendMail(app, trx, target.email, content);
}
