import crypto from 'node:crypto';

/**
 * Lower-case letters and digits without the look-alikes 0/o, 1/l/i: 31 symbols, so an
 * 8-symbol code carries 8 × log2(31) ≈ 39.6 bits.
 */
export const RECOVERY_CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const GROUP = 4;

/** `n` distinct single-use codes formatted `abcd-efgh` (they match `^[a-z0-9]{4}-?[a-z0-9]{4}$`). */
export function generateRecoveryCodes(n = 10): string[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
  const codes = new Set<string>();
  while (codes.size < n) codes.add(`${randomGroup()}-${randomGroup()}`);
  return [...codes];
}

function randomGroup(): string {
  let group = '';
  // randomInt draws without modulo bias.
  for (let i = 0; i < GROUP; i++) {
    group += RECOVERY_CODE_ALPHABET[crypto.randomInt(RECOVERY_CODE_ALPHABET.length)];
  }
  return group;
}

/** The canonical form codes are hashed in: surrounding space and the dash removed, lower case. */
export function normalizeRecoveryCode(input: string): string {
  return input.trim().replaceAll('-', '').toLowerCase();
}

/**
 * HMAC-SHA256 (hex) of the normalized code under a server-side key (derived from the
 * key-encryption key, never stored in the database); only this is stored, and lookup is by
 * equality.
 *
 * A fast MAC is enough here, unlike for passwords: the codes are ~40 bits drawn by the server,
 * not chosen by people, so there is no dictionary to try first, and online guessing must go
 * through the throttled login path (a handful of tries per account and client against 10 live
 * codes in 31^8 ≈ 8.5e11). The key closes the offline case a bare hash left open: whoever steals
 * the table without the key cannot sweep the code space.
 */
export function hashRecoveryCode(key: Buffer, code: string): string {
  return crypto.createHmac('sha256', key).update(normalizeRecoveryCode(code), 'utf8').digest('hex');
}
