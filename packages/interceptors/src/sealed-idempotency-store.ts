import crypto from 'node:crypto';
import { FailedPreconditionError } from '@kith/errors';
import type { IdempotencyStore } from './idempotency-store.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Stored responses can carry secrets (tokens, API-key secrets, recovery codes), so they are
 * kept sealed with AES-256-GCM under a key the database never sees; the scope and key are bound
 * as associated data, so a sealed response can't be replayed under another caller's key.
 */
export function sealedIdempotencyStore(store: IdempotencyStore, key: Uint8Array): IdempotencyStore {
  if (key.length !== 32) throw new Error('the idempotency sealing key must be 32 bytes');
  const aad = (scope: string, k: string) => Buffer.from(`${scope}\0${k}`, 'utf8');
  return {
    async begin(scope, k, requestHash) {
      const result = await store.begin(scope, k, requestHash);
      if (result.state !== 'completed') return result;
      const sealed = Buffer.from(result.response);
      let response: Buffer;
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
        decipher.setAAD(aad(scope, k));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        response = Buffer.concat([
          decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch (cause) {
        // Sealed under a key since rotated (or tampered with): the effect happened, but its
        // answer can't be replayed. Never run it again; tell the client to use a new key.
        throw new FailedPreconditionError('this idempotency key can no longer be replayed', {
          cause,
        });
      }
      return { ...result, response: new Uint8Array(response) };
    },
    async complete(scope, k, response) {
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(scope, k));
      const body = Buffer.concat([cipher.update(response), cipher.final()]);
      await store.complete(scope, k, Buffer.concat([iv, body, cipher.getAuthTag()]));
    },
    release: (scope, k) => store.release(scope, k),
  };
}
