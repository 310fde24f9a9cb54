import { isIP } from 'node:net';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { AuthDatabase } from './schema.js';

/** Which blocks refuse what: an `all` block refuses logins and sign-ups, `sign_up` only those. */
const SCOPES = { login: ['all'], sign_up: ['sign_up', 'all'] } as const;

/** True when a block in force covers `ip` for `action`. */
export async function ipBlocked(
  db: Kysely<AuthDatabase>,
  ip: string,
  action: keyof typeof SCOPES,
  now: Date,
): Promise<boolean> {
  // Not an address (no peer, a garbled forwarded header): nothing to match, and a cast would fail.
  if (isIP(ip) === 0) return false;
  const block = await db
    .selectFrom('ip_blocks')
    .select('id')
    .where('scope', 'in', SCOPES[action])
    .where(sql<boolean>`cidr >>= ${ip}::inet`)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .limit(1)
    .executeTakeFirst();
  return block !== undefined;
}
