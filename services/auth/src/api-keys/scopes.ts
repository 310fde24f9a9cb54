import type { ApiKeyScopeName } from '@kith/authn';
import { InvalidArgumentError } from '@kith/errors';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';

/**
 * The string each `ApiKeyScope` stands for (the comments in types.proto). A Record so that a
 * scope added to the enum fails to compile until it is named here.
 */
const SCOPE_NAMES: Record<Exclude<ApiKeyScope, ApiKeyScope.UNSPECIFIED>, ApiKeyScopeName> = {
  [ApiKeyScope.PROFILE_READ]: 'profile:read',
  [ApiKeyScope.PROFILE_WRITE]: 'profile:write',
  [ApiKeyScope.POSTS_READ]: 'posts:read',
  [ApiKeyScope.POSTS_WRITE]: 'posts:write',
  [ApiKeyScope.CIRCLES_READ]: 'circles:read',
  [ApiKeyScope.CIRCLES_WRITE]: 'circles:write',
  [ApiKeyScope.NOTIFICATIONS_READ]: 'notifications:read',
  [ApiKeyScope.SUPPORT_READ]: 'support:read',
  [ApiKeyScope.SUPPORT_WRITE]: 'support:write',
  [ApiKeyScope.SOS_RAISE]: 'sos:raise',
};

const SCOPES_BY_NAME = new Map<string, ApiKeyScope>(
  Object.entries(SCOPE_NAMES).map(([value, name]) => [name, Number(value) as ApiKeyScope]),
);

/** The scope string stored on the key and carried in its grant. */
export function scopeName(scope: ApiKeyScope): ApiKeyScopeName {
  const name = SCOPE_NAMES[scope as keyof typeof SCOPE_NAMES] as ApiKeyScopeName | undefined;
  if (name === undefined) {
    throw new InvalidArgumentError([{ field: 'scopes', message: 'unknown scope' }]);
  }
  return name;
}

/** The enum value of a stored scope string; UNSPECIFIED for a string no longer known. */
export function scopeFromName(name: string): ApiKeyScope {
  return SCOPES_BY_NAME.get(name) ?? ApiKeyScope.UNSPECIFIED;
}
