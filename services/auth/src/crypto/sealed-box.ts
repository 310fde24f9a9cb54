import crypto from 'node:crypto';

/**
 * AES-256-GCM with a key-encryption key (KEK) from configuration, for secrets the service must
 * read back (signing keys, TOTP secrets). Sealed values are `v1.<iv>.<ciphertext>.<tag>`; the
 * purpose is bound as associated data so a value sealed for one column can't be moved to another.
 */
export interface SealedBox {
  seal(plaintext: string, purpose: string): string;
  open(sealed: string, purpose: string): string;
}

export function createSealedBox(kek: Buffer): SealedBox {
  if (kek.length !== 32) throw new Error('the key-encryption key must be 32 bytes');
  return {
    seal(plaintext, purpose) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', kek, iv);
      cipher.setAAD(Buffer.from(purpose, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return ['v1', iv, body, tag]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed, purpose) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== 'v1' || !iv || !body || !tag) throw new Error('not a sealed value');
      const decipher = crypto.createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(purpose, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}
