export {
  API_KEY_INTROSPECT_SUBJECT,
  API_KEY_PREFIX,
  InvalidApiKeyError,
  apiKeyFromHeaders,
  createApiKeyAuthenticator,
  generateApiKeySecret,
  hashApiKey,
} from './api-keys.js';
export type { ApiKeyAuthenticatorOptions, ApiKeyGrant } from './api-keys.js';
export {
  REVOCATION_LIVE_SUBJECT,
  REVOCATION_TTL_MS,
  apiKeyCacheKey,
  applyRevocation,
  createRevocationCheck,
  decodeRevocation,
  encodeRevocation,
} from './revocation.js';
export type { Revocation, RevocationStores } from './revocation.js';
export {
  GRANT_TOKEN_TYPE,
  INTROSPECT_NONCE_HEADER,
  UntrustedGrantError,
  signGrant,
  verifyGrant,
} from './signed-grant.js';
export type { GrantBinding, GrantSigningKey } from './signed-grant.js';
export { API_KEY_SCOPES, isApiKeyScope } from './scopes.js';
export { RECENT_AUTH_WINDOW_MS, requireRecentAuth } from './recent-auth.js';
export type { ApiKeyScopeName } from './scopes.js';
