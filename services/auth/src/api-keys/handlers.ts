import { durationMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { AuthApp } from '../app.js';
import { signedInCaller } from '@kith/runtime';
import { toApiKeyMessage } from './api-key-message.js';
import { createApiKey } from './create-api-key.js';
import { listApiKeys } from './list-api-keys.js';
import { revokeApiKey } from './revoke-api-key.js';
import { scopeName } from './scopes.js';

/**
 * CreateApiKey / ListApiKeys / RevokeApiKey. Only a signed-in user (access token) reaches
 * these: the auth module names no API-key scopes, so a key calling them is refused upstream.
 */
export function apiKeyHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async createApiKey(req, ctx) {
      const caller = signedInCaller(app, ctx);
      const { key, secret } = await createApiKey(app, caller, {
        name: req.name,
        scopes: req.scopes.map(scopeName),
        ttlMs: req.ttl ? durationMs(req.ttl) : undefined,
        proof: {
          password: req.proof.case === 'currentPassword' ? req.proof.value : '',
          totpCode: req.proof.case === 'totpCode' ? req.proof.value : '',
        },
      });
      return { apiKey: toApiKeyMessage(key), secret };
    },

    async listApiKeys(req, ctx) {
      const caller = signedInCaller(app, ctx);
      const page = await listApiKeys(app, caller, {
        includeInactive: req.includeInactive,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { apiKeys: page.items.map(toApiKeyMessage), nextPageToken: page.nextPageToken };
    },

    async revokeApiKey(req, ctx) {
      const caller = signedInCaller(app, ctx);
      await revokeApiKey(app, caller, { apiKeyId: req.apiKeyId });
      return {};
    },
  };
}
