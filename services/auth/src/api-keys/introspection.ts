import { API_KEY_INTROSPECT_SUBJECT, INTROSPECT_NONCE_HEADER, signGrant } from '@kith/authn';
import type { ApiKeyGrant } from '@kith/authn';
import type { Subscription } from '@kith/bus';
import { lockoutOf } from '../accounts/lockout.js';
import type { AuthApp } from '../app.js';
import { LAST_USED_GRANULARITY_MS, findKeyByHash, touchLastUsed } from './api-key-store.js';

const KEY_HASH = /^[0-9a-f]{64}$/;

/**
 * What the auth service says about a key hash: a grant while the key is live (not revoked, not
 * expired, its account not disabled, banned or suspended), null otherwise. The role is the
 * account's current one.
 */
export async function introspectApiKey(app: AuthApp, keyHash: string): Promise<ApiKeyGrant | null> {
  if (!KEY_HASH.test(keyHash)) return null;
  const now = app.clock();
  const key = await findKeyByHash(app.database.db, keyHash);
  if (
    !key ||
    key.revokedAt !== null ||
    (key.expiresAt !== null && key.expiresAt <= now) ||
    lockoutOf(
      {
        disabled_at: key.accountDisabledAt,
        moderation_banned: key.accountBanned,
        moderation_suspended: key.accountSuspended,
        moderation_suspended_until: key.accountSuspendedUntil,
      },
      now,
    ) !== null
  ) {
    return null;
  }
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_GRANULARITY_MS) {
    await touchLastUsed(app.database.db, key.id, now);
  }
  return {
    apiKeyId: key.id,
    userId: key.accountId,
    role: key.role,
    scopes: key.scopes,
    expiresAt: key.expiresAt ? key.expiresAt.getTime() : null,
  };
}

/**
 * Answers API-key introspection requests from every service (see @kith/authn), signed with the
 * current access-token key and bound to the key hash and the asker's nonce, so no other bus
 * responder can hand out a grant.
 */
export async function serveApiKeyIntrospection(app: AuthApp): Promise<Subscription | undefined> {
  return app.bus.serve(API_KEY_INTROSPECT_SUBJECT, async (request) => {
    const keyHash = new TextDecoder().decode(request.data);
    const grant = await introspectApiKey(app, keyHash);
    const nonce = request.headers[INTROSPECT_NONCE_HEADER] ?? '';
    return signGrant(grant, { keyHash, nonce }, await app.keys.current(), app.clock());
  });
}
