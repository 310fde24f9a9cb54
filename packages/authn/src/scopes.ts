import type { Principal } from '@kith/context';

/**
 * Scopes an API key can carry (the strings of `kith.auth.v1.ApiKeyScope`). No scope implies
 * another: in particular `sos:raise` is only ever granted by name, so a key made for a panic
 * button can raise an SOS and nothing else, and no broader key can raise one.
 */
export const API_KEY_SCOPES = [
  'profile:read',
  'profile:write',
  'posts:read',
  'posts:write',
  'circles:read',
  'circles:write',
  'notifications:read',
  'support:read',
  'support:write',
  'sos:raise',
] as const;

export type ApiKeyScopeName = (typeof API_KEY_SCOPES)[number];

export function isApiKeyScope(value: string): value is ApiKeyScopeName {
  return (API_KEY_SCOPES as readonly string[]).includes(value);
}

/**
 * Whether the caller may use an RPC that needs `scope`. A signed-in user (access token) acts
 * with the whole account; an API key only with the scopes named on it.
 */
export function hasScope(principal: Principal, scope: ApiKeyScopeName): boolean {
  if (principal.via === 'access_token') return true;
  return principal.scopes.includes(scope);
}
