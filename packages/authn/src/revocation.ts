import type { Cache } from '@kith/cache';
import type { Principal } from '@kith/context';

/**
 * Revocation entries must outlive every access token they could concern: the longest access
 * token lifetime (10 min) plus clock skew, with margin. After that the tokens are dead anyway.
 */
export const REVOCATION_TTL_MS = 20 * 60_000;

/** Live subject on which auth announces revocations to processes whose cache is their own. */
export const REVOCATION_LIVE_SUBJECT = 'kith.live.authn.revocations';

export type Revocation =
  /** Every access token of the user issued before `validAfter` (seconds) is dead. */
  | { kind: 'user'; userId: string; validAfter: number }
  /** Every access token of the session is dead. */
  | { kind: 'session'; sessionId: string }
  /** The API key with this hash is revoked (drop any cached introspection). */
  | { kind: 'api_key'; keyHash: string };

const userKey = (userId: string) => `authn:tva:${userId}`;
const sessionKey = (sessionId: string) => `authn:sid:${sessionId}`;
export const apiKeyCacheKey = (keyHash: string) => `authn:ak:${keyHash}`;

/**
 * Where revocations are written. `revocations` must never drop a live entry (Redis with
 * `maxmemory-policy noeviction`, or a memory store that refuses when full): an evicted entry
 * makes a logged-out token valid again. `apiKeyGrants` is the ordinary cache holding
 * introspected API keys, from which a revoked key's grant is deleted.
 */
export interface RevocationStores {
  revocations: Cache;
  apiKeyGrants: Cache;
}

/** Records a revocation in the stores every verifier reads (Redis when distributed). */
export async function applyRevocation(
  stores: RevocationStores,
  revocation: Revocation,
): Promise<void> {
  const ttl = { ttlMs: REVOCATION_TTL_MS };
  const cache = stores.revocations;
  switch (revocation.kind) {
    case 'user': {
      const current = Number((await cache.get(userKey(revocation.userId))) ?? 0);
      if (revocation.validAfter > current) {
        await cache.set(userKey(revocation.userId), String(revocation.validAfter), ttl);
      }
      return;
    }
    case 'session':
      await cache.set(sessionKey(revocation.sessionId), '1', ttl);
      return;
    case 'api_key':
      await stores.apiKeyGrants.del(apiKeyCacheKey(revocation.keyHash));
      return;
  }
}

export function encodeRevocation(revocation: Revocation): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(revocation));
}

export function decodeRevocation(data: Uint8Array): Revocation | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as Partial<Revocation>;
    if (value.kind === 'user' && typeof value.userId === 'string') {
      if (typeof value.validAfter === 'number') return value as Revocation;
    }
    if (value.kind === 'session' && typeof value.sessionId === 'string') return value as Revocation;
    if (value.kind === 'api_key' && typeof value.keyHash === 'string') return value as Revocation;
  } catch {
    // Not ours: ignored.
  }
  return undefined;
}

/**
 * True when the principal's token was issued before the user's `tokens_valid_after`, or its
 * session was revoked. Checked on every authenticated call at every service; a store failure
 * rejects the call (fail closed) rather than letting a revoked token through. `cache` is the
 * revocation store (`RevocationStores.revocations`).
 */
export function createRevocationCheck(cache: Cache): (principal: Principal) => Promise<boolean> {
  return async (principal) => {
    if (principal.via !== 'access_token') return false;
    // One round trip for both: every authenticated call makes this check.
    const [validAfter = null, sessionRevoked = null] = await cache.getMany(
      principal.sessionId
        ? [userKey(principal.userId), sessionKey(principal.sessionId)]
        : [userKey(principal.userId)],
    );
    if (sessionRevoked !== null) return true;
    return validAfter !== null && principal.issuedAt < Number(validAfter);
  };
}
