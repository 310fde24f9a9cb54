import crypto from 'node:crypto';
import type { Bus } from '@kith/bus';
import { createMemoryCache } from '@kith/cache';
import type { Cache } from '@kith/cache';
import { CredentialsRejectedError, isRole } from '@kith/context';
import type { Principal, Role } from '@kith/context';
import type { JWTVerifyGetKey } from 'jose';
import { apiKeyCacheKey } from './revocation.js';
import { isApiKeyScope } from './scopes.js';
import { INTROSPECT_NONCE_HEADER, verifyGrant } from './signed-grant.js';

/** Every API key starts with this, so scanners (and people) recognise a leaked one. */
export const API_KEY_PREFIX = 'kith_ak_';
/**
 * Request/reply subject the auth service answers: a key hash in, an `ApiKeyGrant` or null out,
 * signed by auth (see signed-grant.ts).
 */
export const API_KEY_INTROSPECT_SUBJECT = 'kith.rpc.auth.api_key_introspect';

const API_KEY_PATTERN = /^kith_ak_[A-Za-z0-9_-]{43}$/;
/** How long a verifier trusts an introspection; revocation deletes the entry at once. */
const GRANT_TTL_MS = 60_000;
/** Unknown keys are remembered briefly so guessing costs no bus round trip per attempt. */
const UNKNOWN_TTL_MS = 30_000;
/**
 * Anyone can send random keys, so unknown ones go to a small cache of their own: a flood
 * evicts only other unknown keys, never grants or anything else a process keeps.
 */
const UNKNOWN_KEYS_MAX = 10_000;

/** What the auth service says about a live key. */
export interface ApiKeyGrant {
  apiKeyId: string;
  userId: string;
  role: Role;
  scopes: string[];
  /** Epoch milliseconds; null when the key never expires. */
  expiresAt: number | null;
}

/** A new secret: 256 random bits after the prefix. */
export function generateApiKeySecret(): string {
  return API_KEY_PREFIX + crypto.randomBytes(32).toString('base64url');
}

/**
 * SHA-256 is enough for a 256-bit random secret (no dictionary to attack); unlike a password
 * hash it lets verifiers look a key up by its hash in one step.
 */
export function hashApiKey(secret: string): string {
  return crypto.createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The key in `Authorization: Bearer kith_ak_…` or `X-Api-Key`; undefined when absent. */
export function apiKeyFromHeaders(headers: Headers): string | undefined {
  const explicit = headers.get('x-api-key')?.trim();
  if (explicit) return explicit;
  const match = /^Bearer (kith_ak_\S+)$/i.exec(headers.get('authorization')?.trim() ?? '');
  return match?.[1];
}

export class InvalidApiKeyError extends CredentialsRejectedError {
  override readonly name = 'InvalidApiKeyError';
}

function parseGrant(text: string): ApiKeyGrant | null {
  return checkGrant(JSON.parse(text));
}

function checkGrant(parsed: unknown): ApiKeyGrant | null {
  const value = parsed as ApiKeyGrant | null;
  if (value === null) return null;
  if (
    typeof value.apiKeyId !== 'string' ||
    typeof value.userId !== 'string' ||
    !isRole(value.role) ||
    !Array.isArray(value.scopes) ||
    !value.scopes.every((s) => typeof s === 'string' && isApiKeyScope(s))
  ) {
    throw new InvalidApiKeyError('malformed grant');
  }
  return value;
}

export interface ApiKeyAuthenticatorOptions {
  /** Introspected grants of live keys (the cache auth deletes a revoked key's grant from). */
  cache: Cache;
  /** Keys auth does not know; default a per-process LRU of 10,000. */
  unknownKeys?: Cache;
  bus: Bus;
  /** Auth's published keys (its JWKS): introspection answers must be signed with one. */
  keys: JWTVerifyGetKey;
  now?: () => Date;
  /** Bus request timeout. Default 2 s. */
  timeoutMs?: number;
  /** Where auth answers; tests sharing a NATS server use their own. Default API_KEY_INTROSPECT_SUBJECT. */
  subject?: string;
}

/**
 * Authenticator for API keys at any service: the key's hash is introspected once through the
 * auth service (request/reply on the bus) and cached; auth deletes the cache entry when the key
 * is revoked, so revocation takes effect at once. Undefined when the request carries no key.
 */
export function createApiKeyAuthenticator(
  options: ApiKeyAuthenticatorOptions,
): (headers: Headers) => Promise<Principal | undefined> {
  const now = options.now ?? (() => new Date());
  const unknownKeys = options.unknownKeys ?? createMemoryCache({ maxEntries: UNKNOWN_KEYS_MAX });
  return async (headers) => {
    const secret = apiKeyFromHeaders(headers);
    if (secret === undefined) return undefined;
    if (!API_KEY_PATTERN.test(secret)) throw new InvalidApiKeyError('malformed key');
    const keyHash = hashApiKey(secret);
    const cacheKey = apiKeyCacheKey(keyHash);
    const cached = (await unknownKeys.get(cacheKey)) ?? (await options.cache.get(cacheKey));
    let grant: ApiKeyGrant | null;
    if (cached !== null) {
      grant = parseGrant(cached);
    } else {
      const nonce = crypto.randomBytes(16).toString('base64url');
      const reply = await options.bus.request(
        options.subject ?? API_KEY_INTROSPECT_SUBJECT,
        new TextEncoder().encode(keyHash),
        { timeoutMs: options.timeoutMs ?? 2_000, headers: { [INTROSPECT_NONCE_HEADER]: nonce } },
      );
      // Only what auth signed for this request is believed, and only that is cached.
      grant = checkGrant(await verifyGrant(reply, { keyHash, nonce }, options.keys, now()));
      const text = JSON.stringify(grant);
      if (grant === null) await unknownKeys.set(cacheKey, text, { ttlMs: UNKNOWN_TTL_MS });
      else await options.cache.set(cacheKey, text, { ttlMs: GRANT_TTL_MS });
    }
    const at = now().getTime();
    if (grant === null || (grant.expiresAt !== null && grant.expiresAt <= at)) {
      throw new InvalidApiKeyError('unknown, revoked or expired key');
    }
    return {
      userId: grant.userId,
      role: grant.role,
      via: 'api_key',
      scopes: grant.scopes,
      issuedAt: Math.floor(at / 1000),
      apiKeyId: grant.apiKeyId,
    };
  };
}
