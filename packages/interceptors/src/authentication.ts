import type { HandlerContext, Interceptor } from '@connectrpc/connect';
import {
  CredentialsRejectedError,
  isRestricted,
  principalKey,
  requestLogger,
  roleAtLeast,
} from '@kith/context';
import type { Principal, Role } from '@kith/context';
import {
  PermissionDeniedError,
  UnauthenticatedError,
  UnavailableError,
  toConnectError,
} from '@kith/errors';
import { rpcName } from './observe-call.js';

/** Finds the caller in the request headers: undefined = not my kind of credential; throws = invalid. */
export type Authenticator = (headers: Headers) => Promise<Principal | undefined>;

export interface AuthenticationOptions {
  /** Tried in order; the bearer JWT authenticator first, API keys later. */
  authenticators: readonly Authenticator[];
  /** `pkg.Service/Method` names callable anonymously (Login, Register, health…). */
  publicMethods: ReadonlySet<string>;
  /** True when the principal was revoked after its token was issued (`tokens_valid_after`). */
  isRevoked?: (principal: Principal) => Promise<boolean>;
  /**
   * The scope an API key needs for each method it may call. A method not listed here cannot be
   * called with an API key at all (PermissionDenied); access tokens are not affected.
   */
  apiKeyScopes?: ReadonlyMap<string, string>;
  /**
   * The least role a whole service (`pkg.Service`) or one method (`pkg.Service/Method`) needs.
   * Checked right after authentication, before validation: a caller without the role learns
   * nothing about the request's shape (PermissionDenied, never InvalidArgument).
   */
  requiredRoles?: ReadonlyMap<string, Role>;
  /**
   * Methods a restricted session (an account moderation suspended or banned) may call. On any
   * other method such a session is refused (PermissionDenied), or on a public one treated as
   * anonymous, so it reads nothing a signed-in caller could.
   */
  restrictedMethods?: ReadonlySet<string>;
}

/** What a restricted session is told everywhere but its few methods. */
export const RESTRICTED_SESSION_MESSAGE =
  'this account is suspended or banned: it may read its moderation decisions, appeal them, export its data and end its sessions';

/** Runs the authenticators in order, then the revocation check; throws when credentials are bad. */
export async function authenticate(
  options: Pick<AuthenticationOptions, 'authenticators' | 'isRevoked'>,
  headers: Headers,
): Promise<Principal | undefined> {
  for (const authenticator of options.authenticators) {
    const principal = await authenticator(headers);
    if (principal === undefined) continue;
    if (options.isRevoked && (await options.isRevoked(principal))) {
      throw new CredentialsRejectedError('revoked');
    }
    return principal;
  }
  return undefined;
}

/**
 * Sets `principalKey`. Missing or invalid credentials on a non-public method answer
 * Unauthenticated with no hint of why; on a public method the call proceeds anonymously. When
 * the credentials could not be checked at all (cache, bus or key set down), a non-public method
 * answers Unavailable: still refused, but the client is told to retry, not to sign in again.
 */
export function createAuthenticationInterceptor(options: AuthenticationOptions): Interceptor {
  return (next) => async (req) => {
    const method = rpcName(req);
    const isPublic = options.publicMethods.has(method);
    let principal: Principal | undefined;
    try {
      principal = await authenticate(options, req.header);
    } catch (err) {
      const logger = requestLogger(req.contextValues);
      if (!(err instanceof CredentialsRejectedError)) {
        logger?.warn({ err }, 'credentials could not be checked');
        if (!isPublic) throw toConnectError(new UnavailableError('authentication unavailable'));
      } else {
        logger?.debug({ err }, 'credentials rejected');
      }
      principal = undefined;
    }
    if (principal && isRestricted(principal) && !options.restrictedMethods?.has(method)) {
      if (!isPublic) throw toConnectError(new PermissionDeniedError(RESTRICTED_SESSION_MESSAGE));
      principal = undefined;
    }
    if (principal === undefined && !isPublic) {
      throw toConnectError(new UnauthenticatedError());
    }
    const needed =
      options.requiredRoles?.get(method) ?? options.requiredRoles?.get(req.service.typeName);
    if (needed && principal && !roleAtLeast(principal.role, needed)) {
      throw toConnectError(new PermissionDeniedError());
    }
    if (principal?.via === 'api_key') {
      const scope = options.apiKeyScopes?.get(method);
      if (scope === undefined || !principal.scopes.includes(scope)) {
        throw toConnectError(new PermissionDeniedError('this API key may not call this method'));
      }
    }
    req.contextValues.set(principalKey, principal);
    return next(req);
  };
}

/** The authenticated caller, for handlers of methods that may also be public. */
export function requirePrincipal(ctx: Pick<HandlerContext, 'values'>): Principal {
  const principal = ctx.values.get(principalKey);
  if (!principal) throw new UnauthenticatedError();
  return principal;
}

/** The caller, who must hold `role` or a higher one (user < triage < moderator < admin). */
export function requireRole(ctx: Pick<HandlerContext, 'values'>, role: Role): Principal {
  const principal = requirePrincipal(ctx);
  if (!roleAtLeast(principal.role, role)) throw new PermissionDeniedError();
  return principal;
}
