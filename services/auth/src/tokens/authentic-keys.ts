import crypto from 'node:crypto';
import type { JWK } from 'jose';
import type { SealedBox } from '../crypto/sealed-box.js';
import type { SigningKeyTable } from '../db/schema.js';

/** What a public JWK must agree on with the sealed private key it is published for. */
const KEY_MEMBERS = ['kty', 'crv', 'x', 'y'] as const;

/**
 * True when the row's stored public JWK is the public half of its sealed private key. The
 * private key is sealed (AES-GCM) under the KEK, which the database never sees, so it vouches
 * for the public key: a row written by anyone without the KEK (an attacker's public key, or one
 * copied beside another row's sealed private key) is refused and never verifies a token.
 */
export function isAuthenticKeyRow(row: SigningKeyTable, box: SealedBox, purpose: string): boolean {
  const stored = row.public_jwk as JWK | null;
  if (stored === null || typeof stored !== 'object' || stored.kid !== row.kid) return false;
  if (stored.alg !== row.alg) return false;
  let derived: JWK;
  try {
    const privateKey = crypto.createPrivateKey(box.open(row.private_key_enc, purpose));
    derived = crypto.createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  } catch {
    return false;
  }
  const expectedKty = row.alg === 'EdDSA' ? 'OKP' : 'EC';
  if (derived.kty !== expectedKty) return false;
  return KEY_MEMBERS.every((member) => stored[member] === derived[member]);
}
