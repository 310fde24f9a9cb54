import type { Redis } from './redis-client.js';

/** Logs where the check could not be made (managed Redis that hides CONFIG). */
export interface EvictionCheckLogger {
  warn(obj: object, msg?: string): void;
}

/** Redis would evict keys under memory pressure: revocation entries among them. */
export class RedisEvictionPolicyError extends Error {
  override readonly name = 'RedisEvictionPolicyError';
}

/**
 * Revocation entries live in Redis and carry a TTL, so any policy but `noeviction` (the
 * `volatile-*` ones included) may drop one under memory pressure, and a logged-out token would
 * be valid again. Refuses such a Redis at start; when CONFIG is not allowed (some managed
 * services), warns loudly and goes on: the operator must then set the policy on the service.
 */
export async function assertRedisNoEviction(
  client: Redis,
  logger: EvictionCheckLogger,
): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await client.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch (err) {
    logger.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'REDIS maxmemory-policy could not be read: it MUST be noeviction, or revocation entries ' +
        'can be evicted and logged-out tokens become valid again',
    );
    return;
  }
  if (policy !== 'noeviction') {
    throw new RedisEvictionPolicyError(
      `Redis maxmemory-policy is ${policy ?? 'unknown'}: Kith keeps revocation entries in Redis ` +
        'and needs maxmemory-policy noeviction (evicting one makes a logged-out token valid again)',
    );
  }
}
