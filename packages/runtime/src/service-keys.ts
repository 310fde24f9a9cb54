import crypto from 'node:crypto';
import type { ServiceName } from './module.js';

/**
 * A 32-byte key for one service and one purpose, derived (HKDF-SHA256) from a process secret.
 * Each service seals its rows under its own key, so a key handed to one service (or leaked by
 * it) opens nothing another service stored, and the derivation names the purpose so one key is
 * never used for two things. Distinct per-service secrets (a PAGE_TOKEN_SECRET per service)
 * separate them fully; see ADR 0009.
 */
export function serviceKey(secret: string, service: ServiceName, purpose: string): Uint8Array {
  return new Uint8Array(crypto.hkdfSync('sha256', secret, `kith-service:${service}`, purpose, 32));
}
