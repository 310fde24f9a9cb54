import { FailedPreconditionError } from '@kith/errors';
import type { Kysely } from 'kysely';
import type { SealedBox } from '../crypto/sealed-box.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import { replaceRecoveryCodes, totpSecretPurpose } from './factors.js';
import { updateAccount } from '../accounts/account-store.js';
import { deleteRecoveryCodes } from './mfa-store.js';
import { generateTotpSecret, totpUri, verifyTotp } from './totp.js';

/** An enrolment must be confirmed with a first code within this time. */
export const TOTP_ENROLMENT_TTL_MS = 10 * 60_000;
/**
 * Wrong codes one pending enrolment accepts; the next wrong code drops it. A new enrolment
 * needs the password again (throttled), so guessing the first code is limited per account.
 */
export const TOTP_ENROLMENT_MAX_ATTEMPTS = 5;
/** Shown by authenticator apps above the account label. */
export const TOTP_ISSUER = 'Kith';

/** Keeps a new secret pending (sealed) until ConfirmTotp proves the user's app has it. */
export async function startTotpEnrolment(
  trx: Kysely<AuthDatabase>,
  box: SealedBox,
  account: Pick<Account, 'id' | 'username' | 'totp_enabled_at'>,
  now: Date,
): Promise<{ secret: string; uri: string; expiresAt: Date }> {
  if (account.totp_enabled_at !== null) {
    throw new FailedPreconditionError('TOTP is already enabled');
  }
  const secret = generateTotpSecret();
  const expiresAt = new Date(now.getTime() + TOTP_ENROLMENT_TTL_MS);
  await updateAccount(trx, account.id, {
    totp_pending_secret_enc: box.seal(secret, totpSecretPurpose(account.id)),
    totp_pending_expires_at: expiresAt,
    totp_pending_attempts: 0,
    updated_at: now,
  });
  return {
    secret,
    uri: totpUri({ secret, account: account.username, issuer: TOTP_ISSUER }),
    expiresAt,
  };
}

/**
 * Enables TOTP when `code` matches the pending secret; returns the first recovery codes, or null
 * for a wrong code (counted; the last allowed wrong code drops the enrolment). The code's step
 * is stored, so it cannot be replayed at the next login.
 */
export async function confirmTotpEnrolment(
  trx: Kysely<AuthDatabase>,
  keys: { box: SealedBox; recoveryCodeKey: Buffer },
  account: Pick<
    Account,
    | 'id'
    | 'totp_enabled_at'
    | 'totp_pending_secret_enc'
    | 'totp_pending_expires_at'
    | 'totp_pending_attempts'
  >,
  code: string,
  now: Date,
): Promise<string[] | null> {
  const { box } = keys;
  if (account.totp_enabled_at !== null) {
    throw new FailedPreconditionError('TOTP is already enabled');
  }
  if (
    account.totp_pending_secret_enc === null ||
    account.totp_pending_expires_at === null ||
    account.totp_pending_expires_at <= now
  ) {
    throw new FailedPreconditionError('no TOTP enrolment in progress: call EnrollTotp first');
  }
  const secret = box.open(account.totp_pending_secret_enc, totpSecretPurpose(account.id));
  const result = verifyTotp({ secret, code, at: now, lastUsedStep: null });
  if (!result.ok) {
    const attempts = account.totp_pending_attempts + 1;
    const spent = attempts >= TOTP_ENROLMENT_MAX_ATTEMPTS;
    await updateAccount(trx, account.id, {
      totp_pending_attempts: attempts,
      ...(spent ? { totp_pending_secret_enc: null, totp_pending_expires_at: null } : {}),
      updated_at: now,
    });
    return null;
  }
  await updateAccount(trx, account.id, {
    totp_secret_enc: account.totp_pending_secret_enc,
    totp_enabled_at: now,
    totp_last_step: result.step,
    totp_pending_secret_enc: null,
    totp_pending_expires_at: null,
    totp_pending_attempts: 0,
    updated_at: now,
  });
  return replaceRecoveryCodes(trx, keys.recoveryCodeKey, account.id);
}

/** Forgets the secret, any pending enrolment and every recovery code. */
export async function removeTotp(
  trx: Kysely<AuthDatabase>,
  accountId: string,
  now: Date,
): Promise<void> {
  await updateAccount(trx, accountId, {
    totp_secret_enc: null,
    totp_enabled_at: null,
    totp_last_step: null,
    totp_pending_secret_enc: null,
    totp_pending_expires_at: null,
    updated_at: now,
  });
  await deleteRecoveryCodes(trx, accountId);
}

/** Tells the owner: turning a second factor off is what an intruder would do first. */
export function totpDisabledMail(account: Pick<Account, 'email' | 'username'>) {
  return {
    to: account.email,
    subject: 'Two-step verification was turned off',
    text: [
      `Two-step verification with an authenticator app was turned off for your Kith account @${account.username}.`,
      'Its recovery codes no longer work.',
      '',
      "If this wasn't you, change your password and turn two-step verification back on.",
    ].join('\n'),
  };
}
