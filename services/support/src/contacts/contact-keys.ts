import crypto from 'node:crypto';

/** A phone number as validated by the contract (E.164): only stray spaces are dropped. */
export function normalisePhone(phone: string): string {
  return phone.replace(/\s+/g, '');
}

/**
 * An e-mail address as compared and hashed: trimmed and lower-cased. Local parts are
 * case-sensitive in theory and never in practice; an opt-out must not be dodged by `Ana@`.
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The keyed hash (HMAC-SHA256) an address is kept as for opt-outs, bound to the user whose
 * contact it is: the table reveals neither the address nor that one number opted out of
 * several users. Empty for no address.
 */
export function addressHash(
  key: Buffer,
  userId: string,
  kind: 'phone' | 'email',
  address: string,
): Buffer | null {
  if (address === '') return null;
  const normalised = kind === 'phone' ? normalisePhone(address) : normaliseEmail(address);
  return crypto.createHmac('sha256', key).update(`${userId}\n${kind}:${normalised}`).digest();
}

const TOKEN =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

function signature(key: Buffer, noticeId: string): string {
  return crypto.createHmac('sha256', key).update(`opt-out\n${noticeId}`).digest('base64url');
}

/**
 * The opt-out token of a notice: its id and a MAC. It names nothing (no user, no address) and
 * never expires: a contact may opt out whenever they read the notice.
 */
export function optOutToken(key: Buffer, noticeId: string): string {
  return `${noticeId}.${signature(key, noticeId)}`;
}

/** The notice id of a genuine token; undefined for anything else. */
export function verifyOptOutToken(key: Buffer, token: string): string | undefined {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  const [, noticeId, mac] = match as unknown as [string, string, string];
  const expected = Buffer.from(signature(key, noticeId));
  const given = Buffer.from(mac);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected)
    ? noticeId
    : undefined;
}
