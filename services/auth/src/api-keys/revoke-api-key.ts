import { NotFoundError } from '@kith/errors';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import type { SignedInCaller } from '@kith/runtime';
import { findOwnKey, markKeyRevoked } from './api-key-store.js';

/** RevokeApiKey: the caller's own key; anyone else's and none at all are the same NotFound. */
export async function revokeApiKey(
  app: AuthApp,
  caller: SignedInCaller,
  input: { apiKeyId: string },
): Promise<void> {
  const { principal, meta, now } = caller;
  await app.database.transaction(async (trx) => {
    const key = await findOwnKey(trx, principal.userId, input.apiKeyId);
    if (!key) throw new NotFoundError('API key not found');
    // Also on a repeat: a retry after a crash between commit and publish still clears caches.
    app.revokeOnCommit(trx, [{ kind: 'api_key', keyHash: key.key_hash }]);
    if (key.revoked_at !== null) return;
    await markKeyRevoked(trx, key.id, now);
    await audit(
      trx,
      { accountId: principal.userId, sessionId: principal.sessionId ?? null, meta, now },
      'api_key_revoked',
      { api_key_id: key.id },
    );
    // The durable backstop: caches learn of it even if this process dies before publishing.
    await app.emit(trx, principal.userId, {
      case: 'authApiKeyRevoked',
      value: { userId: principal.userId, apiKeyId: key.id, keyHash: key.key_hash },
    });
  });
}
