import { isIP } from 'node:net';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/schema.js';

/** True when a live block with scope `all` covers the address (logins are refused from it). */
export async function isLoginBlocked(
  db: Kysely<AuthDatabase>,
  ip: string,
  now: Date,
): Promise<boolean> {
  // Not an address (no peer, a garbled forwarded header): nothing to match, and a cast would fail.
  if (isIP(ip) === 0) return false;
  const block = await db
    .selectFrom('ip_blocks')
    .select('id')
    .where('scope', '=', 'all')
    .where(sql<boolean>`cidr >>= ${ip}::inet`)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .limit(1)
    .executeTakeFirst();
  return block !== undefined;
}
