import { createContextKey } from '@connectrpc/connect';
import type { ContextValues } from '@connectrpc/connect';
import type { Logger } from 'pino';

/** Platform roles, lowest to highest privilege (triage ⊂ moderator ⊂ admin). */
export const ROLES = ['user', 'triage', 'moderator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `role` is `least` or a higher one. */
export function roleAtLeast(role: Role, least: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(least);
}

/**
 * The request's credentials are bad (malformed, forged, expired, revoked, unknown key): the
 * caller's problem, answered Unauthenticated. Any other error while authenticating is ours
 * (a cache, the bus or the JWKS unreachable) and answers Unavailable: fail closed, but say so.
 */
export class CredentialsRejectedError extends Error {
  override readonly name: string = 'CredentialsRejectedError';
}

/** Who is calling: set by the authentication interceptor, read by handlers. */
export interface Principal {
  /** User id (UUIDv7). */
  userId: string;
  /** Session id (`sid` claim); absent for API keys. */
  sessionId?: string;
  role: Role;
  /** How the caller authenticated. */
  via: 'access_token' | 'api_key';
  /** Scopes granted (API keys carry explicit scopes; access tokens carry `*`). */
  scopes: readonly string[];
  /** Token issue time (seconds since epoch), compared with the user's tokens_valid_after. */
  issuedAt: number;
  /** Access tokens: expiry (seconds since epoch), when a long-lived socket must re-authenticate. */
  expiresAt?: number;
  /**
   * Access tokens: when the user last proved who they are (password, MFA or Reauthenticate),
   * the `auth_time` claim in seconds since epoch. What requireRecentAuth reads in services
   * other than auth.
   */
  authTime?: number;
  /** The API key's id, when `via` is `api_key`. */
  apiKeyId?: string;
}

/**
 * The `scope` of an access token for an account moderation suspended or banned. Such a session
 * reaches only the methods modules list in `restrictedMethods` (its moderation decisions and
 * appeals, a data export, its own sessions); on other public methods it counts as anonymous.
 */
export const RESTRICTED_SCOPE = 'account:restricted';

/** The caller holds a restricted session (see RESTRICTED_SCOPE). */
export function isRestricted(principal: Principal): boolean {
  return principal.via === 'access_token' && principal.scopes.includes(RESTRICTED_SCOPE);
}

/** The authenticated caller, or undefined for anonymous calls to public methods. */
export const principalKey = createContextKey<Principal | undefined>(undefined, {
  description: 'authenticated principal',
});

/** Request id: taken from a valid `x-request-id` header or generated. */
export const requestIdKey = createContextKey<string>('', { description: 'request id' });

/**
 * The logger bound to this request (request id, rpc), built on first use: most calls log
 * nothing but their access line, and a pino child with redaction costs microseconds to make.
 * Read it with `requestLogger`.
 */
export const loggerKey = createContextKey<(() => Logger) | undefined>(undefined, {
  description: 'request logger',
});

/** The request's logger (see `loggerKey`), or undefined outside the request-log interceptor. */
export function requestLogger(values: ContextValues): Logger | undefined {
  return values.get(loggerKey)?.();
}

/** Address of the client as seen by the server (after trusted-proxy handling). */
export const clientAddressKey = createContextKey<string>('', { description: 'client address' });
