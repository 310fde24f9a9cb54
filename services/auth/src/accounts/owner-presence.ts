import { FailedPreconditionError, InvalidArgumentError } from '@kith/errors';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import type { Account } from '../db/schema.js';
import { useTotpCode } from '../mfa/factors.js';
import type { RequestMeta } from '@kith/runtime';
import { signedInAttempt } from '../throttle.js';
import { findAccountById } from './account-store.js';
import { confirmCurrentPassword } from './current-password.js';

type During = 'enroll_totp' | 'create_api_key' | 'staff_step_up';

/** What the caller offered as proof of being the account holder, from the request. */
export interface PresenceOffer {
  password: string;
  totpCode: string;
}

const required = (field: string, message: string) =>
  new InvalidArgumentError([{ field, message }], message);

const noFactor = () =>
  new FailedPreconditionError('this account has no password; set one with a password reset first');

/**
 * A stolen access token (a fresh login counts as recent auth) must not add a factor, mint an
 * API key or act as staff: these ask for a factor in the request itself. The current password
 * when the account has one; otherwise (OIDC only) a current TOTP code; an account with neither
 * sets a password through a reset first, which proves the mailbox (ADR 0009).
 * `requireBoth` (staff step-up): the password, and a TOTP code as well when one is enrolled.
 */
export async function confirmOwnerPresent(
  app: AuthApp,
  input: {
    account: Account;
    offer: PresenceOffer;
    sessionId: string | null;
    meta: RequestMeta;
    now: Date;
    during: During;
    requireBoth?: boolean;
    /** Field names in violations, e.g. `step_up.current_password`. */
    fields?: { password: string; totpCode: string };
  },
): Promise<void> {
  const { account, offer } = input;
  const fields = input.fields ?? { password: 'current_password', totpCode: 'totp_code' };
  const hasPassword = account.password_hash !== null;
  const hasTotp = account.totp_enabled_at !== null;
  if (!hasPassword && !hasTotp) throw noFactor();
  const checkPassword = hasPassword;
  const checkTotp = hasTotp && (input.requireBoth === true || !hasPassword);
  if (checkPassword && offer.password === '') {
    throw required(fields.password, 'the current password is required');
  }
  if (checkTotp && offer.totpCode === '') {
    throw required(fields.totpCode, 'a current authenticator code is required');
  }
  if (checkPassword) {
    await confirmCurrentPassword(app, {
      account,
      password: offer.password,
      sessionId: input.sessionId,
      meta: input.meta,
      now: input.now,
      during: input.during,
      field: fields.password,
    });
  }
  if (checkTotp)
    await confirmTotpCode(app, { ...input, code: offer.totpCode, field: fields.totpCode });
}

/** A current TOTP code of the account, throttled per (account, session), failures audited. */
async function confirmTotpCode(
  app: AuthApp,
  input: {
    account: Account;
    code: string;
    field: string;
    sessionId: string | null;
    meta: RequestMeta;
    now: Date;
    during: During;
  },
): Promise<void> {
  const { account, meta, now } = input;
  // Per (account, session), like the password check: a thief's wrong codes never delay the owner.
  const attempt = signedInAttempt(meta, `mfa:${account.id}`, {
    sessionId: input.sessionId ?? undefined,
  });
  await app.throttle.beforePasswordCheck(attempt);
  const ok = await app.database.transaction(async (trx) => {
    const locked = await findAccountById(trx, account.id, { forUpdate: true });
    if (!locked) throw new Error(`account ${account.id} vanished during a TOTP check`);
    if (await useTotpCode(trx, app.box, locked, input.code, now)) return true;
    await audit(
      trx,
      { accountId: account.id, sessionId: input.sessionId, meta, now },
      'mfa_failed',
      { during: input.during, method: 'totp_code' },
    );
    return false;
  });
  if (!ok) {
    await app.throttle.recordFailure(attempt);
    throw new InvalidArgumentError(
      [{ field: input.field, message: 'invalid code' }],
      'invalid code',
    );
  }
  await app.throttle.recordSuccess(attempt);
}
