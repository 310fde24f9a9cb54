import type { Insertable, Kysely } from 'kysely';
import type { AuthDatabase, SessionTable } from '../db/schema.js';
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

export async function insertRefreshToken(
  db: Kysely<AuthDatabase>,
  row: { id: string; sessionId: string; tokenHash: string; now: Date },
): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({
      id: row.id,
      session_id: row.sessionId,
      token_hash: row.tokenHash,
      created_at: row.now,
      used_at: null,
    })
    .execute();
}

/** Marks a live session of the account re-authenticated at `now`; undefined when there is none. */
export function restartSessionAuth(
  db: Kysely<AuthDatabase>,
  input: {
    accountId: string;
    sessionId: string;
    now: Date;
    seenFrom?: { ip: string; userAgent: string };
  },
) {
  const { now, seenFrom } = input;
  return db
    .updateTable('sessions')
    .set({
      auth_time: now,
      last_used_at: now,
      ...(seenFrom ? { ip: seenFrom.ip, user_agent: seenFrom.userAgent } : {}),
    })
    .where('id', '=', input.sessionId)
    .where('account_id', '=', input.accountId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
}

/** Drops the session's refresh tokens still in circulation. */
export async function deleteUnusedRefreshTokens(
  db: Kysely<AuthDatabase>,
  sessionId: string,
): Promise<void> {
  await db
    .deleteFrom('refresh_tokens')
    .where('session_id', '=', sessionId)
    .where('used_at', 'is', null)
    .execute();
}

export async function insertSession(
  db: Kysely<AuthDatabase>,
  session: Insertable<SessionTable>,
): Promise<void> {
  await db.insertInto('sessions').values(session).execute();
}

export async function recordLogin(
  db: Kysely<AuthDatabase>,
  accountId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ last_login_at: now })
    .where('id', '=', accountId)
    .execute();
}

/** Marks the account's matching live sessions revoked; returns their ids. */
export async function markSessionsRevoked(
  db: Kysely<AuthDatabase>,
  filter: { accountId: string; sessionIds?: string[]; exceptSessionId?: string },
  reason: string,
  now: Date,
): Promise<string[]> {
  if (filter.sessionIds?.length === 0) return [];
  let query = db
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('account_id', '=', filter.accountId)
    .where('revoked_at', 'is', null);
  if (filter.sessionIds) query = query.where('id', 'in', filter.sessionIds);
  if (filter.exceptSessionId) query = query.where('id', '!=', filter.exceptSessionId);
  const rows = await query.returning('id').execute();
  return rows.map((r) => r.id);
}

/** Every access token of the account issued before `now` stops being valid. */
export async function moveTokensValidAfter(
  db: Kysely<AuthDatabase>,
  accountId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ tokens_valid_after: now, updated_at: now })
    .where('id', '=', accountId)
    .execute();
}

/** The account's session if it is not revoked (expired or not). */
export function findUnrevokedSession(
  db: Kysely<AuthDatabase>,
  accountId: string,
  sessionId: string,
  options: { forUpdate?: boolean } = {},
) {
  let query = db
    .selectFrom('sessions')
    .selectAll()
    .where('id', '=', sessionId)
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** True when the account has ever had a session. */
export async function hasEverSignedIn(
  db: Kysely<AuthDatabase>,
  accountId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('sessions')
    .select('id')
    .where('account_id', '=', accountId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
