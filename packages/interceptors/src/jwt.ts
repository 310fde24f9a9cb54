import { CredentialsRejectedError, isRole } from '@kith/context';
import type { Principal } from '@kith/context';
import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';

export interface JwtVerifierOptions {
  /** Key set function: jose `createLocalJWKSet` or `createRemoteJWKSet` (cached, with cooldown). */
  jwks: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  /** Pinned; never HS* (a public key must not double as an HMAC secret) and never `none`. */
  algorithms?: ('EdDSA' | 'ES256')[];
  /** Seconds of allowed clock skew for `exp`/`nbf`. Default 5. */
  clockToleranceSec?: number;
  /** Injectable clock for tests. */
  now?: () => Date;
  /**
   * Tokens verified recently, kept so a client's next calls skip the signature check (about
   * 0.15 ms each). Each is kept at most `maxAgeMs` (default 60 s) and never past its `exp`; at
   * most `maxEntries` (default 10,000), the oldest dropped first. Revocation is checked by the
   * caller on every call regardless. `false` keeps none.
   */
  cache?: { maxEntries?: number; maxAgeMs?: number } | false;
}

/** Verification failed; deliberately carries no reason a client could probe with. */
export class InvalidTokenError extends CredentialsRejectedError {
  override readonly name = 'InvalidTokenError';
}

/** Headers that ask the verifier to fetch or trust a key the token brings along. */
const keyReferenceHeaders = ['jku', 'jwk', 'x5u', 'x5c'] as const;

/** Verifies an access token and maps its claims to a Principal; throws InvalidTokenError. */
export function createJwtVerifier(
  options: JwtVerifierOptions,
): (token: string) => Promise<Principal> {
  const algorithms = options.algorithms ?? ['EdDSA', 'ES256'];
  for (const alg of algorithms) {
    if (alg !== 'EdDSA' && alg !== 'ES256')
      throw new Error(`algorithm ${String(alg)} is not allowed`);
  }
  const now = options.now ?? (() => new Date());
  const tolerance = options.clockToleranceSec ?? 5;
  const maxEntries = options.cache === false ? 0 : (options.cache?.maxEntries ?? 10_000);
  const maxAgeMs = options.cache === false ? 0 : (options.cache?.maxAgeMs ?? 60_000);
  const verified = new Map<string, { principal: Principal; until: number }>();
  return async (token) => {
    if (maxEntries > 0) {
      const hit = verified.get(token);
      if (hit) {
        const nowMs = now().getTime();
        // jose's own expiry rule: expired once exp <= now - tolerance.
        if (nowMs < hit.until && hit.principal.expiresAt! > Math.floor(nowMs / 1000) - tolerance) {
          return { ...hit.principal, scopes: [...hit.principal.scopes] };
        }
        verified.delete(token);
      }
    }
    const principal = await verifyToken(token);
    if (maxEntries > 0) {
      if (verified.size >= maxEntries) verified.delete(verified.keys().next().value!);
      verified.set(token, {
        principal: { ...principal, scopes: [...principal.scopes] },
        until: now().getTime() + maxAgeMs,
      });
    }
    return principal;
  };

  async function verifyToken(token: string): Promise<Principal> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch (cause) {
      throw new InvalidTokenError('malformed token', { cause });
    }
    // Checked before jose sees the token: nothing a token names is ever fetched or trusted.
    if (keyReferenceHeaders.some((name) => name in header))
      throw new InvalidTokenError('key reference header');
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, options.jwks, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        clockTolerance: tolerance,
        currentDate: now(),
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (cause) {
      // The key set being unreachable is not the token's fault: let it surface as unavailable.
      if (cause instanceof errors.JWKSTimeout || !(cause instanceof errors.JOSEError)) throw cause;
      throw new InvalidTokenError('verification failed', { cause });
    }
    const role = payload.role ?? 'user';
    if (!isRole(role)) throw new InvalidTokenError('bad role');
    const scope = payload.scope;
    if (scope !== undefined && typeof scope !== 'string') throw new InvalidTokenError('bad scope');
    const sid = payload.sid;
    if (sid !== undefined && typeof sid !== 'string') throw new InvalidTokenError('bad sid');
    const authTime = payload.auth_time;
    if (authTime !== undefined && !Number.isInteger(authTime)) {
      throw new InvalidTokenError('bad auth_time');
    }
    return {
      userId: payload.sub!,
      ...(sid === undefined ? {} : { sessionId: sid }),
      role,
      via: 'access_token',
      scopes: scope === undefined ? ['*'] : scope.split(' ').filter((s) => s !== ''),
      issuedAt: payload.iat!,
      expiresAt: payload.exp!,
      ...(authTime === undefined ? {} : { authTime: authTime as number }),
    };
  }
}

/**
 * Authenticator for `Authorization: Bearer <jwt>`: undefined when no bearer token is present
 * (another authenticator may apply), throws when one is present but invalid.
 */
export function bearerAuthenticator(
  verify: (token: string) => Promise<Principal>,
): (headers: Headers) => Promise<Principal | undefined> {
  return async (headers) => {
    const value = headers.get('authorization');
    if (value === null) return undefined;
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(value.trim());
    // API keys travel as bearer values too; they are another authenticator's business.
    if (!match || match[1]!.startsWith('kith_ak_')) return undefined;
    return verify(match[1]!);
  };
}
