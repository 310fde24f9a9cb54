import { durationMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { generateApiKeySecret, hashApiKey } from '@kith/authn';
import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { requirePrincipal } from '@kith/interceptors';
import { uuidv7 } from 'uuidv7';
import type { AuthApp } from '../app.js';
import { newestFirstPage } from '../db/paging.js';
import { recordAudit } from '../audit/audit-log.js';
import { loadCallerAccount } from '../db/accounts.js';
import { requestMeta } from '../request-meta.js';
import { sendMail } from '../accounts/account-mail.js';
import { apiKeyCreatedMail } from '../accounts/mail-templates.js';
import { confirmOwnerPresent } from '../accounts/owner-presence.js';
import { requireRecentAuth } from '../sessions/recent-auth.js';
import { toApiKeyMessage } from './api-key-message.js';
import { countActiveKeys, findOwnKey } from './repository.js';
import { scopeName } from './scopes.js';

/** Live keys one account may hold; revoked and expired ones do not count. */
export const MAX_ACTIVE_API_KEYS = 50;
export const DEFAULT_API_KEY_TTL_MS = 90 * 24 * 3600_000;
/** "kith_ak_" and four characters of the secret: enough to tell keys apart, useless to guess. */
const PREFIX_LENGTH = 12;

/**
 * CreateApiKey / ListApiKeys / RevokeApiKey. Only a signed-in user (access token) reaches
 * these: the auth module names no API-key scopes, so a key calling them is refused upstream.
 */
export function apiKeyHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  const { database, clock } = app;

  return {
    async createApiKey(req, ctx) {
      const principal = requirePrincipal(ctx);
      const now = clock();
      const meta = requestMeta(ctx);
      const scopes = req.scopes.map(scopeName);
      const ttlMs = req.ttl ? durationMs(req.ttl) : DEFAULT_API_KEY_TTL_MS;
      const secret = generateApiKeySecret();
      await requireRecentAuth(database.db, principal, now, app.config.reauthWindowMs);
      // And the owner's factor in the request, not only a recent login: a key outlives every
      // sign-out, and a fresh login is what a stolen token already has.
      await confirmOwnerPresent(app, {
        account: await loadCallerAccount(database.db, principal.userId),
        offer: {
          password: req.proof.case === 'currentPassword' ? req.proof.value : '',
          totpCode: req.proof.case === 'totpCode' ? req.proof.value : '',
        },
        sessionId: principal.sessionId ?? null,
        meta,
        now,
        during: 'create_api_key',
      });
      const row = await database.transaction(async (trx) => {
        // The account row lock serialises concurrent creations, so the cap holds under races.
        const account = await loadCallerAccount(trx, principal.userId, { forUpdate: true });
        if ((await countActiveKeys(trx, principal.userId, now)) >= MAX_ACTIVE_API_KEYS) {
          throw new FailedPreconditionError(
            `at most ${MAX_ACTIVE_API_KEYS} active API keys: revoke one first`,
          );
        }
        const key = await trx
          .insertInto('api_keys')
          .values({
            id: uuidv7(),
            account_id: principal.userId,
            name: req.name,
            prefix: secret.slice(0, PREFIX_LENGTH),
            key_hash: hashApiKey(secret),
            scopes,
            created_at: now,
            last_used_at: null,
            expires_at: new Date(now.getTime() + ttlMs),
            revoked_at: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordAudit(trx, {
          type: 'api_key_created',
          accountId: principal.userId,
          sessionId: principal.sessionId ?? null,
          meta,
          details: { api_key_id: key.id, scopes: scopes.join(' ') },
          at: now,
        });
        await sendMail(app, trx, account.email, apiKeyCreatedMail(key.name, key.prefix));
        return key;
      });
      // The only time the secret leaves the service; only its hash was stored.
      return { apiKey: toApiKeyMessage(row), secret };
    },

    async listApiKeys(req, ctx) {
      const principal = requirePrincipal(ctx);
      const now = clock();
      const binding = `auth.ListApiKeys|${principal.userId}|${req.includeInactive}`;
      let query = database.db
        .selectFrom('api_keys')
        .selectAll()
        .where('account_id', '=', principal.userId);
      if (!req.includeInactive) {
        query = query
          .where('revoked_at', 'is', null)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
      }
      const page = await newestFirstPage(app, query, req, binding);
      return {
        apiKeys: page.items.map(toApiKeyMessage),
        nextPageToken: page.nextPageToken,
      };
    },

    async revokeApiKey(req, ctx) {
      const principal = requirePrincipal(ctx);
      const now = clock();
      const meta = requestMeta(ctx);
      const keyHash = await database.transaction(async (trx) => {
        // Someone else's key and no key at all are indistinguishable on purpose.
        const key = await findOwnKey(trx, principal.userId, req.apiKeyId);
        if (!key) throw new NotFoundError('API key not found');
        if (key.revoked_at !== null) return key.key_hash;
        await trx
          .updateTable('api_keys')
          .set({ revoked_at: now })
          .where('id', '=', key.id)
          .execute();
        await recordAudit(trx, {
          type: 'api_key_revoked',
          accountId: principal.userId,
          sessionId: principal.sessionId ?? null,
          meta,
          details: { api_key_id: key.id },
          at: now,
        });
        // The durable backstop: caches learn of it even if this process dies before publishing.
        await app.emit(trx, principal.userId, {
          case: 'authApiKeyRevoked',
          value: { userId: principal.userId, apiKeyId: key.id, keyHash: key.key_hash },
        });
        return key.key_hash;
      });
      // Also on a repeat: a retry after a crash between commit and publish still clears caches.
      await app.publishRevocations([{ kind: 'api_key', keyHash }]);
      return {};
    },
  };
}
