import { FailedPreconditionError, InvalidArgumentError } from '@kith/errors';
import type { Kysely } from 'kysely';
import type { SignedInCaller } from '@kith/runtime';
import { factorRequired } from './complete-mfa.js';
import type { AuthApp } from '../app.js';
import { publishMfaChanged } from '../security-events.js';
import { audit } from '../audit/audit-store.js';
import { sendMail } from '../accounts/account-mail.js';
import { recoveryCodesRegeneratedMail, totpEnabledMail } from '../accounts/mail-templates.js';
import { confirmOwnerPresent } from '../accounts/owner-presence.js';
import { dropPendingEmailChange } from '../accounts/pending-email.js';
import { loadCallerAccount } from '../accounts/caller-account.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import { requireRecentAuth } from '../sessions/recent-auth.js';
import { signedInAttempt } from '../throttle.js';
import { replaceRecoveryCodes, useRecoveryCode, useTotpCode } from './factors.js';
import {
  confirmTotpEnrolment,
  removeTotp,
  startTotpEnrolment,
  totpDisabledMail,
} from './totp-enrolment.js';

const invalidCode = (field: string) =>
  new InvalidArgumentError([{ field, message: 'invalid code' }], 'invalid code');

export type ManagementFactor =
  { case: 'totpCode'; value: string } | { case: 'recoveryCode'; value: string };

/**
 * EnrollTotp (re-auth): a new pending secret for the caller, once the current password in the
 * request is right too (a fresh login alone is not enough: a stolen token must not add a factor
 * that locks the owner out).
 */
export async function enrollTotp(
  app: AuthApp,
  caller: SignedInCaller,
  input: { currentPassword: string },
) {
  const { principal, meta, now } = caller;
  const password = input.currentPassword;
  await requireRecentAuth(app.database.db, principal, now, app.config.reauthWindowMs);
  const account = await loadCallerAccount(app.database.db, principal.userId, now);
  if (account.totp_enabled_at !== null)
    throw new FailedPreconditionError('TOTP is already enabled');
  await confirmOwnerPresent(app, {
    account,
    offer: { password, totpCode: '' },
    sessionId: principal.sessionId ?? null,
    meta,
    now,
    during: 'enroll_totp',
  });
  return app.database.transaction(async (trx) => {
    const locked = await loadCallerAccount(trx, principal.userId, now, { forUpdate: true });
    return startTotpEnrolment(trx, app.box, locked, now);
  });
}

/**
 * ConfirmTotp. No re-auth check of its own: it completes an enrolment EnrollTotp started with
 * the password, and the pending secret lapses (10 min) or is dropped after a few wrong codes.
 * The owner is told by mail, and a pending e-mail change is dropped (a credential change).
 */
export async function confirmTotp(
  app: AuthApp,
  caller: SignedInCaller,
  input: { totpCode: string },
): Promise<string[]> {
  const { principal, meta, now } = caller;
  const code = input.totpCode;
  const codes = await app.database.transaction(async (trx) => {
    const account = await loadCallerAccount(trx, principal.userId, now, { forUpdate: true });
    const recoveryCodes = await confirmTotpEnrolment(trx, app, account, code, now);
    if (recoveryCodes === null) {
      await audit(
        trx,
        { accountId: account.id, sessionId: principal.sessionId ?? null, meta, now },
        'mfa_failed',
        { during: 'confirm_totp', method: 'totp_code' },
      );
      return null;
    }
    await dropPendingEmailChange(trx, account.id, now);
    await sendMail(app, trx, account.email, totpEnabledMail());
    await audit(
      trx,
      { accountId: account.id, sessionId: principal.sessionId ?? null, meta, now },
      'mfa_enrolled',
      { method: 'totp' },
    );
    await publishMfaChanged(app, trx, {
      accountId: account.id,
      change: 'totp_enabled',
      from: meta,
    });
    return recoveryCodes;
  });
  if (codes === null) throw invalidCode('totp_code');
  return codes;
}

/**
 * DisableTotp (re-auth and a current TOTP or recovery code); the owner is told by mail and a
 * pending e-mail change is dropped (a credential change).
 */
export async function disableTotp(
  app: AuthApp,
  caller: SignedInCaller,
  offered: ManagementFactor | { case: undefined },
): Promise<void> {
  const { principal, meta } = caller;
  if (offered.case === undefined) throw factorRequired();
  const factor: ManagementFactor = offered;
  const field = factor.case === 'totpCode' ? 'totp_code' : 'recovery_code';
  await withSecondFactor(app, caller, {
    during: 'disable_totp',
    field,
    prove: (trx, account, now) =>
      factor.case === 'totpCode'
        ? useTotpCode(trx, app.box, account, factor.value, now)
        : useRecoveryCode(trx, app.recoveryCodeKey, account.id, factor.value, now),
    async apply(trx, account, now) {
      await removeTotp(trx, account.id, now);
      await dropPendingEmailChange(trx, account.id, now);
      await audit(
        trx,
        { accountId: account.id, sessionId: principal.sessionId ?? null, meta, now },
        'mfa_disabled',
        { method: 'totp', proven_by: field },
      );
      await publishMfaChanged(app, trx, {
        accountId: account.id,
        change: 'totp_disabled',
        from: meta,
      });
      await app.queueMail(trx, totpDisabledMail(account));
    },
  });
}

/** RegenerateRecoveryCodes (re-auth and a current TOTP code): the old codes stop working. */
export async function regenerateRecoveryCodes(
  app: AuthApp,
  caller: SignedInCaller,
  input: { totpCode: string },
): Promise<string[]> {
  const { principal, meta } = caller;
  const code = input.totpCode;
  return withSecondFactor(app, caller, {
    during: 'regenerate_recovery_codes',
    field: 'totp_code',
    prove: (trx, account, now) => useTotpCode(trx, app.box, account, code, now),
    async apply(trx, account, now) {
      const codes = await replaceRecoveryCodes(trx, app.recoveryCodeKey, account.id);
      await sendMail(app, trx, account.email, recoveryCodesRegeneratedMail());
      await audit(
        trx,
        { accountId: account.id, sessionId: principal.sessionId ?? null, meta, now },
        'recovery_codes_regenerated',
        { count: String(codes.length) },
      );
      await publishMfaChanged(app, trx, {
        accountId: account.id,
        change: 'recovery_codes_regenerated',
        from: meta,
      });
      return codes;
    },
  });
}

/**
 * A change to an account with TOTP that needs the re-auth window AND a current second factor.
 * Throttled like CompleteMfa (same key); a wrong factor is audited and committed, then counted.
 */
async function withSecondFactor<T>(
  app: AuthApp,
  caller: SignedInCaller,
  step: {
    during: string;
    field: string;
    prove(trx: Kysely<AuthDatabase>, account: Account, now: Date): Promise<boolean>;
    apply(trx: Kysely<AuthDatabase>, account: Account, now: Date): Promise<T>;
  },
): Promise<T> {
  const { principal, meta, now } = caller;
  const attempt = signedInAttempt(meta, `mfa:${principal.userId}`, principal);
  await app.throttle.beforePasswordCheck(attempt);
  const outcome = await app.database.transaction(
    async (trx): Promise<{ ok: true; value: T } | { ok: false }> => {
      await requireRecentAuth(trx, principal, now, app.config.reauthWindowMs);
      const account = await loadCallerAccount(trx, principal.userId, now, { forUpdate: true });
      if (account.totp_enabled_at === null) {
        throw new FailedPreconditionError('TOTP is not enabled');
      }
      if (!(await step.prove(trx, account, now))) {
        await audit(
          trx,
          { accountId: account.id, sessionId: principal.sessionId ?? null, meta, now },
          'mfa_failed',
          { during: step.during, method: step.field },
        );
        return { ok: false };
      }
      return { ok: true, value: await step.apply(trx, account, now) };
    },
  );
  if (!outcome.ok) {
    await app.throttle.recordFailure(attempt);
    throw invalidCode(step.field);
  }
  await app.throttle.recordSuccess(attempt);
  return outcome.value;
}
