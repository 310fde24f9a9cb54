import { liveAt } from '@kith/db';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Role } from '@kith/context';
import type { ApiKeyTable, AuthDatabase } from '../db/schema.js';
import type { AuthApp } from '../app.js';
import { newestFirstPage } from '../db/paging.js';

export type ApiKeyRow = Selectable<ApiKeyTable>;

/** `last_used_at` is written at most this often per key: reads stay cheap on a busy key. */
export const LAST_USED_GRANULARITY_MS = 60_000;

/** Keys that still work: neither revoked nor expired at `now`. */
export async function countActiveKeys(
  trx: Kysely<AuthDatabase>,
  accountId: string,
  now: Date,
): Promise<number> {
  const row = await trx
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where(liveAt(now))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The caller's own key (locked for update); undefined for anyone else's or a missing one. */
export function findOwnKey(
  trx: Kysely<AuthDatabase>,
  accountId: string,
  apiKeyId: string,
): Promise<ApiKeyRow | undefined> {
  return trx
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', apiKeyId)
    .where('account_id', '=', accountId)
    .forUpdate()
    .executeTakeFirst();
}

/** Revokes every live key of an account; returns their hashes so caches can drop the grants. */
export async function revokeAllKeys(
  trx: Kysely<AuthDatabase>,
  accountId: string,
  now: Date,
): Promise<{ id: string; keyHash: string }[]> {
  const rows = await trx
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .returning(['id', 'key_hash'])
    .execute();
  return rows.map((r) => ({ id: r.id, keyHash: r.key_hash }));
}

/** Hashes of the keys whose cached grants would still be honoured (not revoked, not expired). */
export async function liveKeyHashes(
  trx: Kysely<AuthDatabase>,
  accountId: string,
  now: Date,
): Promise<string[]> {
  const rows = await trx
    .selectFrom('api_keys')
    .select('key_hash')
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where(liveAt(now))
    .execute();
  return rows.map((r) => r.key_hash);
}

export interface IntrospectedKey {
  id: string;
  accountId: string;
  scopes: string[];
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  role: Role;
  /** The owning account's standing (see accounts/lockout.ts). */
  accountDisabledAt: Date | null;
  accountBanned: boolean;
  accountSuspended: boolean;
  accountSuspendedUntil: Date | null;
}

export function findKeyByHash(
  db: Kysely<AuthDatabase>,
  keyHash: string,
): Promise<IntrospectedKey | undefined> {
  return db
    .selectFrom('api_keys as k')
    .innerJoin('accounts as a', 'a.id', 'k.account_id')
    .select([
      'k.id as id',
      'k.account_id as accountId',
      'k.scopes as scopes',
      'k.expires_at as expiresAt',
      'k.revoked_at as revokedAt',
      'k.last_used_at as lastUsedAt',
      'a.role as role',
      'a.disabled_at as accountDisabledAt',
      'a.moderation_banned as accountBanned',
      'a.moderation_suspended as accountSuspended',
      'a.moderation_suspended_until as accountSuspendedUntil',
    ])
    .where('k.key_hash', '=', keyHash)
    .executeTakeFirst();
}

/** Records use, unless it was already recorded within the last minute. */
export async function touchLastUsed(
  db: Kysely<AuthDatabase>,
  id: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<=', new Date(now.getTime() - LAST_USED_GRANULARITY_MS)),
      ]),
    )
    .execute();
}

export function insertApiKey(
  db: Kysely<AuthDatabase>,
  row: Insertable<ApiKeyTable>,
): Promise<ApiKeyRow> {
  return db.insertInto('api_keys').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function markKeyRevoked(
  db: Kysely<AuthDatabase>,
  id: string,
  now: Date,
): Promise<void> {
  await db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).execute();
}

/** A page of the account's keys, newest first; only live ones unless `includeInactive`. */
export function ownKeysPage(
  app: Pick<AuthApp, 'pageTokens'>,
  db: Kysely<AuthDatabase>,
  input: {
    accountId: string;
    includeInactive: boolean;
    now: Date;
    pageSize: number;
    pageToken: string;
  },
) {
  let query = db.selectFrom('api_keys').selectAll().where('account_id', '=', input.accountId);
  if (!input.includeInactive) {
    query = query.where('revoked_at', 'is', null).where(liveAt(input.now));
  }
  const binding = `auth.ListApiKeys|${input.accountId}|${input.includeInactive}`;
  return newestFirstPage(app, query, input, binding);
}
