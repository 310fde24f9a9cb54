import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/schema.js';
import { newestFirstPage } from '../db/paging.js';
import type { AuthApp } from '../app.js';

// The session and refresh-token queries of this folder: plain functions of the handle they run
// on (inside a transaction, the transaction).

/** The refresh token with this hash, locked for the rotation. */
export function findRefreshTokenForUpdate(db: Kysely<AuthDatabase>, tokenHash: string) {
  return db
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .forUpdate()
    .executeTakeFirst();
}

export function lockSession(db: Kysely<AuthDatabase>, sessionId: string) {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('id', '=', sessionId)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

export async function markRefreshTokenUsed(
  db: Kysely<AuthDatabase>,
  tokenId: string,
  now: Date,
): Promise<void> {
  await db.updateTable('refresh_tokens').set({ used_at: now }).where('id', '=', tokenId).execute();
}

/** The session was just used from `seenFrom`. */
export async function touchSession(
  db: Kysely<AuthDatabase>,
  sessionId: string,
  now: Date,
  seenFrom: { ip: string; userAgent: string },
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_used_at: now, ip: seenFrom.ip, user_agent: seenFrom.userAgent })
    .where('id', '=', sessionId)
    .execute();
}

/** True when the session exists and belongs to the account (revoked or not). */
export async function ownsSession(
  db: Kysely<AuthDatabase>,
  accountId: string,
  sessionId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('sessions')
    .select('id')
    .where('id', '=', sessionId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row !== undefined;
}

/** A page of the account's sessions still usable at `now` (not revoked, expired or idle). */
export function liveSessionsPage(
  app: Pick<AuthApp, 'pageTokens'>,
  db: Kysely<AuthDatabase>,
  input: { accountId: string; now: Date; idleTtlMs: number; pageSize: number; pageToken: string },
) {
  const query = db
    .selectFrom('sessions')
    .selectAll()
    .where('account_id', '=', input.accountId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', input.now)
    .where('last_used_at', '>', new Date(input.now.getTime() - input.idleTtlMs));
  return newestFirstPage(app, query, input, `auth.ListSessions|${input.accountId}`);
}
