import type { Interceptor } from '@connectrpc/connect';
import type { PlatformConfig } from '@kith/config';
import { CredentialsRejectedError } from '@kith/context';
import type { Principal } from '@kith/context';
import type { Database } from '@kith/db';
import { createApiKeyAuthenticator, createRevocationCheck } from '@kith/authn';
import {
  authenticate,
  bearerAuthenticator,
  createIdempotencyInterceptor,
  createJwtVerifier,
  createPostgresIdempotencyStore,
  sealedIdempotencyStore,
  defaultInterceptorChain,
} from '@kith/interceptors';
import type { Authenticator } from '@kith/interceptors';
import type { Logger } from '@kith/logging';
import { createLocalJWKSet, createRemoteJWKSet } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import type { Infrastructure } from './infrastructure.js';
import type { Clock, ServiceModule, ServiceName } from './module.js';

/** Where access-token verification keys come from (a jose key-set function). */
export type AuthKeys = JWTVerifyGetKey;

/**
 * Processes without the auth module fetch its JWKS (cached by jose). The auth module hands the
 * host its own keys (`ServiceParts.verificationKeys`), which replace this; without either, an
 * empty set refuses every token.
 */
export function defaultAuthKeys(config: PlatformConfig): AuthKeys {
  if (config.auth.jwksUrl) {
    return createRemoteJWKSet(new URL(config.auth.jwksUrl), { cooldownDuration: 30_000 });
  }
  return createLocalJWKSet({ keys: [] });
}

export interface InterceptorOptions {
  modules: ServiceModule[];
  databases: ReadonlyMap<string, Database>;
  infrastructure: Infrastructure;
  logger: Logger;
  authentication: Authentication;
  /**
   * A key per service and purpose: seals each service's stored idempotent responses (they may
   * hold tokens or secrets) and keys their request fingerprints (requests may hold passwords).
   */
  serviceKeyFor: (service: ServiceName, purpose: string) => Uint8Array;
}

/**
 * Finds the caller: a bearer access token (verified against `authKeys`) or an API key
 * (introspected through the auth service), then the shared revocation check. Shared by the RPC
 * chain and the WebSocket gateway.
 */
export interface Authentication {
  authenticators: Authenticator[];
  isRevoked: (principal: Principal) => Promise<boolean>;
}

export function createAuthentication(options: {
  config: PlatformConfig;
  authKeys: AuthKeys;
  clock: Clock;
  infrastructure: Infrastructure;
}): Authentication {
  const { infrastructure } = options;
  return {
    authenticators: [
      bearerAuthenticator(
        createJwtVerifier({
          jwks: options.authKeys,
          issuer: options.config.auth.issuer,
          audience: options.config.auth.audience,
          now: options.clock,
        }),
      ),
      createApiKeyAuthenticator({
        cache: infrastructure.cache,
        bus: infrastructure.bus,
        keys: options.authKeys,
        now: options.clock,
      }),
    ],
    isRevoked: createRevocationCheck(infrastructure.revocations),
  };
}

/**
 * For the gateway and services: undefined when credentials are absent or bad; an error only
 * when they could not be checked (the gateway answers that with 503).
 */
export function lenient(
  authentication: Authentication,
): (headers: Headers) => Promise<Principal | undefined> {
  return (headers: Headers) =>
    authenticate(authentication, headers).catch((err: unknown) => {
      if (err instanceof CredentialsRejectedError) return undefined;
      throw err;
    });
}

/**
 * Idempotency keys are remembered by the service that ran the call, in its own schema, so the
 * embedded process (many services, one chain) routes each call to its service's store.
 */
function idempotencyByService(
  modules: ServiceModule[],
  databases: ReadonlyMap<string, Database>,
  keyFor: (service: ServiceName, purpose: string) => Uint8Array,
): Interceptor {
  const interceptors = new Map<string, Interceptor>();
  for (const module of modules) {
    const database = databases.get(module.name);
    if (!database) continue;
    const interceptor = createIdempotencyInterceptor({
      store: sealedIdempotencyStore(
        createPostgresIdempotencyStore(database),
        keyFor(module.name, 'idempotency-responses'),
      ),
      fingerprintKey: keyFor(module.name, 'idempotency-fingerprints'),
    });
    for (const service of module.services) interceptors.set(service.typeName, interceptor);
  }
  return (next) => {
    const wrapped = new Map([...interceptors].map(([name, i]) => [name, i(next)]));
    return (req) => (wrapped.get(req.service.typeName) ?? next)(req);
  };
}

/** Requests per minute per client address, and per authenticated user. */
const PER_CLIENT_PER_MINUTE = 1200;
const PER_USER_PER_MINUTE = 600;

export function buildInterceptors(options: InterceptorOptions): Interceptor[] {
  // Health and reflection are served outside this chain by the server.
  const publicMethods = new Set(options.modules.flatMap((m) => m.publicMethods ?? []));
  const requiredRoles = new Map(
    options.modules.flatMap((m) => Object.entries(m.requiredRoles ?? {})),
  );
  const apiKeyScopes = new Map(
    options.modules.flatMap((m) => Object.entries(m.apiKeyScopes ?? {})),
  );
  const restrictedMethods = new Set(options.modules.flatMap((m) => m.restrictedMethods ?? []));
  const { infrastructure } = options;
  return [
    ...defaultInterceptorChain({
      logger: options.logger,
      rateLimit: {
        perClient: infrastructure.rateLimiter({
          keyPrefix: 'rl:client',
          points: PER_CLIENT_PER_MINUTE,
          durationSec: 60,
        }),
        perUser: infrastructure.rateLimiter({
          keyPrefix: 'rl:user',
          points: PER_USER_PER_MINUTE,
          durationSec: 60,
        }),
      },
      authentication: {
        ...options.authentication,
        publicMethods,
        apiKeyScopes,
        requiredRoles,
        restrictedMethods,
      },
    }),
    idempotencyByService(options.modules, options.databases, options.serviceKeyFor),
  ];
}
