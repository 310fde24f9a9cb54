import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import { RESTRICTED_SCOPE } from '@kith/context';
import type { Role } from '@kith/context';
import type { SigningKeyStore } from './signing-keys.js';

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  role: Role;
  /** When the user last proved who they are (password, MFA, re-auth): the `auth_time` claim. */
  authTime: Date;
  /** The account's tokens_valid_after: the token's `iat` is never before it. */
  validAfter: Date;
  /** Moderation suspended or banned the account: `scope: account:restricted`. */
  restricted: boolean;
}

export interface AccessTokenMinter {
  mint(claims: AccessTokenClaims, now: Date): Promise<{ token: string; expiresAt: Date }>;
}

/**
 * Access tokens per RFC 9068 / RFC 8725: `typ: at+jwt`, pinned algorithm, `kid`, short life.
 * `iat` is whole seconds and verifiers reject tokens with `iat` < tokens_valid_after (also whole
 * seconds, rounded up), so a token minted in the same second as a logout-all gets its `iat`
 * lifted to that bound rather than being born revoked.
 */
export function createAccessTokenMinter(options: {
  keys: SigningKeyStore;
  issuer: string;
  audience: string;
  ttlMs: number;
}): AccessTokenMinter {
  return {
    async mint(claims, now) {
      const key = await options.keys.current();
      const iat = Math.max(Math.floor(now.getTime() / 1000), validAfterSeconds(claims.validAfter));
      const exp = iat + Math.floor(options.ttlMs / 1000);
      const token = await new SignJWT({
        sid: claims.sessionId,
        role: claims.role,
        auth_time: Math.floor(claims.authTime.getTime() / 1000),
        ...(claims.restricted ? { scope: RESTRICTED_SCOPE } : {}),
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(claims.userId)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(exp)
        .setJti(crypto.randomUUID())
        .sign(key.privateKey);
      return { token, expiresAt: new Date(exp * 1000) };
    },
  };
}

/** tokens_valid_after in whole seconds, rounded up: tokens with an earlier `iat` are dead. */
export function validAfterSeconds(validAfter: Date): number {
  return Math.floor(validAfter.getTime() / 1000) + (validAfter.getTime() % 1000 === 0 ? 0 : 1);
}
