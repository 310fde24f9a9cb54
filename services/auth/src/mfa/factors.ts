import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { SealedBox } from '../crypto/sealed-box.js';
import { safeEqual, sha256Hex } from '../crypto/secrets.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import type { MfaChallengeRow } from './challenges.js';
import { generateRecoveryCodes, hashRecoveryCode } from './recovery-codes.js';
import {
  advanceTotpStep,
  burnRecoveryCode,
  deleteRecoveryCodes,
  insertRecoveryCodes,
} from './mfa-store.js';
import { verifyTotp } from './totp.js';

export const RECOVERY_CODE_COUNT = 10;

/** Sealed-box purpose of an account's TOTP secret: a sealed value cannot move to another account. */
export const totpSecretPurpose = (accountId: string) => `auth.totp-secret:${accountId}`;

/**
 * Accepts a TOTP code for the account's enabled secret once: the matched step is stored with a
 * compare-and-set, so the same code (or an older one) fails afterwards, in any challenge or RPC.
 */
export async function useTotpCode(
  trx: Kysely<AuthDatabase>,
  box: SealedBox,
  account: Pick<Account, 'id' | 'totp_secret_enc' | 'totp_enabled_at' | 'totp_last_step'>,
  code: string,
  now: Date,
): Promise<boolean> {
  if (account.totp_enabled_at === null || account.totp_secret_enc === null) return false;
  const secret = box.open(account.totp_secret_enc, totpSecretPurpose(account.id));
  const lastUsedStep = account.totp_last_step === null ? null : Number(account.totp_last_step);
  const result = verifyTotp({ secret, code, at: now, lastUsedStep });
  if (!result.ok) return false;
  return advanceTotpStep(trx, account.id, result.step, now);
}

/** Burns one unused recovery code of the account; false when there is no such code. */
export async function useRecoveryCode(
  trx: Kysely<AuthDatabase>,
  key: Buffer,
  accountId: string,
  code: string,
  now: Date,
): Promise<boolean> {
  return burnRecoveryCode(trx, accountId, hashRecoveryCode(key, code), now);
}

/** The code mailed for this challenge, while it is younger than `ttlMs`. */
export function emailCodeMatches(
  challenge: Pick<MfaChallengeRow, 'email_code_hash' | 'created_at'>,
  code: string,
  now: Date,
  ttlMs: number,
): boolean {
  if (challenge.email_code_hash === null) return false;
  if (now.getTime() >= challenge.created_at.getTime() + ttlMs) return false;
  return safeEqual(sha256Hex(code.trim().toUpperCase()), challenge.email_code_hash);
}

/** Replaces every recovery code of the account; returns the new ones (shown once, stored hashed). */
export async function replaceRecoveryCodes(
  trx: Kysely<AuthDatabase>,
  key: Buffer,
  accountId: string,
): Promise<string[]> {
  await deleteRecoveryCodes(trx, accountId);
  const codes = generateRecoveryCodes(RECOVERY_CODE_COUNT);
  await insertRecoveryCodes(
    trx,
    codes.map((code) => ({ id: uuidv7(), accountId, codeHash: hashRecoveryCode(key, code) })),
  );
  return codes;
}
