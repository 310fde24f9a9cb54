import type { KeyObject } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';

/**
 * API-key introspection answers travel over the bus, where any connected process could reply.
 * Auth therefore signs each answer with its access-token signing key (the JWKS every service
 * already trusts) as a JWS of its own type, bound to the key hash asked about and to a nonce
 * the asker chose, so an answer can be neither forged, moved to another key nor replayed.
 */
export const GRANT_TOKEN_TYPE = 'kith-grant+jwt';
/** Request header carrying the asker's nonce (in NATS's canonical case, which it keeps). */
export const INTROSPECT_NONCE_HEADER = 'Kith-Introspect-Nonce';
/** An answer is good for this long; it is used at once and cached by the asker. */
const GRANT_TOKEN_TTL_SEC = 60;

export interface GrantSigningKey {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  privateKey: KeyObject;
}

export interface GrantBinding {
  keyHash: string;
  nonce: string;
}

/** The answer could not be authenticated: not from auth, or not for this request. */
export class UntrustedGrantError extends Error {
  override readonly name = 'UntrustedGrantError';
}

/** Auth's side: the introspection answer (a grant or null) as a signed, bound JWS. */
export async function signGrant(
  grant: unknown,
  binding: GrantBinding,
  key: GrantSigningKey,
  now: Date,
): Promise<Uint8Array> {
  const iat = Math.floor(now.getTime() / 1000);
  const jws = await new SignJWT({ grant, kh: binding.keyHash, nonce: binding.nonce })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: GRANT_TOKEN_TYPE })
    .setIssuedAt(iat)
    .setExpirationTime(iat + GRANT_TOKEN_TTL_SEC)
    .sign(key.privateKey);
  return new TextEncoder().encode(jws);
}

/**
 * The asker's side: the grant carried by a reply that auth signed for this very request.
 * Throws UntrustedGrantError otherwise; errors of the key set itself (unreachable) pass through.
 */
export async function verifyGrant(
  reply: Uint8Array,
  binding: GrantBinding,
  keys: JWTVerifyGetKey,
  now: Date,
): Promise<unknown> {
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    ({ payload } = await jwtVerify(new TextDecoder().decode(reply), keys, {
      algorithms: ['EdDSA', 'ES256'],
      typ: GRANT_TOKEN_TYPE,
      currentDate: now,
      clockTolerance: 5,
      requiredClaims: ['iat', 'exp'],
    }));
  } catch (cause) {
    if (cause instanceof errors.JWKSTimeout || !(cause instanceof errors.JOSEError)) throw cause;
    throw new UntrustedGrantError('introspection answer not signed by auth', { cause });
  }
  if (payload.kh !== binding.keyHash || payload.nonce !== binding.nonce) {
    throw new UntrustedGrantError('introspection answer bound to another request');
  }
  return payload.grant ?? null;
}
