import crypto from 'node:crypto';

/** An opaque bearer secret: a recognisable prefix and 256 random bits. */
export function randomSecret(prefix: string): string {
  return prefix + crypto.randomBytes(32).toString('base64url');
}

/**
 * Lookup hash for high-entropy secrets (refresh, reset, challenge tokens). They cannot be
 * guessed, so a fast hash is enough; storing only the hash means a database leak grants nothing.
 */
export function sha256Hex(value: string): string {
  return crypto.createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time string equality for secrets of possibly different lengths. */
export function safeEqual(a: string, b: string): boolean {
  const left = crypto.createHash('sha256').update(a).digest();
  const right = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(left, right);
}

/** A 32-byte key for one purpose, derived from a root key (HKDF-SHA256), so keys never mix. */
export function deriveKey(root: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', root, Buffer.alloc(0), purpose, 32));
}
