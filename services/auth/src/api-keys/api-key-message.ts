import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ApiKeySchema } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { ApiKeyRow } from './api-key-store.js';
import { scopeFromName } from './scopes.js';

/** The API view of a stored key: never the hash, and the secret only at creation. */
export function toApiKeyMessage(row: ApiKeyRow): MessageInitShape<typeof ApiKeySchema> {
  return {
    apiKeyId: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes.map(scopeFromName),
    createdAt: timestampFromDate(row.created_at),
    lastUsedAt: row.last_used_at ? timestampFromDate(row.last_used_at) : undefined,
    expiresAt: row.expires_at ? timestampFromDate(row.expires_at) : undefined,
    revokedAt: row.revoked_at ? timestampFromDate(row.revoked_at) : undefined,
  };
}
