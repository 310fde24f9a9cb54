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
