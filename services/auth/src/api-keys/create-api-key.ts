import { generateApiKeySecret, hashApiKey } from '@kith/authn';
import { FailedPreconditionError } from '@kith/errors';
import { uuidv7 } from 'uuidv7';
import { sendMail } from '../accounts/account-mail.js';
import { apiKeyCreatedMail } from '../accounts/mail-templates.js';
import { confirmOwnerPresent } from '../accounts/owner-presence.js';
import type { PresenceOffer } from '../accounts/owner-presence.js';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import type { SignedInCaller } from '@kith/runtime';
import { loadCallerAccount } from '../accounts/caller-account.js';
import { requireRecentAuth } from '../sessions/recent-auth.js';
import { countActiveKeys, insertApiKey } from './api-key-store.js';
import type { ApiKeyRow } from './api-key-store.js';
import type { ApiKeyScopeName } from '@kith/authn';

/** Live keys one account may hold; revoked and expired ones do not count. */
export const MAX_ACTIVE_API_KEYS = 50;
export const DEFAULT_API_KEY_TTL_MS = 90 * 24 * 3600_000;
/** "kith_ak_" and four characters of the secret: enough to tell keys apart, useless to guess. */
const PREFIX_LENGTH = 12;

/**
 * CreateApiKey (re-auth, and the owner's factor in the request). Returns the stored key and
 * its secret: the only time the secret leaves the service, since only its hash is kept.
 */
export async function createApiKey(
  app: AuthApp,
  caller: SignedInCaller,
  input: {
    name: string;
    scopes: ApiKeyScopeName[];
    ttlMs: number | undefined;
    proof: PresenceOffer;
  },
): Promise<{ key: ApiKeyRow; secret: string }> {
  const { principal, meta, now } = caller;
  const ttlMs = input.ttlMs ?? DEFAULT_API_KEY_TTL_MS;
  const secret = generateApiKeySecret();
  await requireRecentAuth(app.database.db, principal, now, app.config.reauthWindowMs);
  // And the owner's factor in the request, not only a recent login: a key outlives every
  // sign-out, and a fresh login is what a stolen token already has.
  await confirmOwnerPresent(app, {
    account: await loadCallerAccount(app.database.db, principal.userId, now),
    offer: input.proof,
    sessionId: principal.sessionId ?? null,
    meta,
    now,
    during: 'create_api_key',
  });
  const key = await app.database.transaction(async (trx) => {
    // The account row lock serialises concurrent creations, so the cap holds under races.
    const account = await loadCallerAccount(trx, principal.userId, now, { forUpdate: true });
    if ((await countActiveKeys(trx, principal.userId, now)) >= MAX_ACTIVE_API_KEYS) {
      throw new FailedPreconditionError(
        `at most ${MAX_ACTIVE_API_KEYS} active API keys: revoke one first`,
      );
    }
    const key = await insertApiKey(trx, {
      id: uuidv7(),
      account_id: principal.userId,
      name: input.name,
      prefix: secret.slice(0, PREFIX_LENGTH),
      key_hash: hashApiKey(secret),
      scopes: input.scopes,
      created_at: now,
      last_used_at: null,
      expires_at: new Date(now.getTime() + ttlMs),
      revoked_at: null,
    });
    await audit(
      trx,
      { accountId: principal.userId, sessionId: principal.sessionId ?? null, meta, now },
      'api_key_created',
      { api_key_id: key.id, scopes: input.scopes.join(' ') },
    );
    await sendMail(app, trx, account.email, apiKeyCreatedMail(key.name, key.prefix));
    return key;
  });
  return { key, secret };
}
