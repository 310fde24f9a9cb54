import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Kysely, Selectable } from 'kysely';
import type { BansTable, CircleDatabase } from '../db/schema.js';

export type BanRow = Selectable<BansTable>;
export type BansDb = CircleDatabase;

/** Whether `userId` is banned from the circle at `now` (an expired ban no longer counts). */
export async function isBanned(
  db: Kysely<BansDb>,
  circleId: string,
  userId: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .selectFrom('bans')
    .select('user_id')
    .where('circle_id', '=', circleId)
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  return row !== undefined;
}

/** Bans, or replaces the reason and end of a ban already there; the row after. */
export async function upsertBan(db: Kysely<BansDb>, ban: BanRow): Promise<BanRow> {
  return db
    .insertInto('bans')
    .values(ban)
    .onConflict((oc) =>
      oc.columns(['circle_id', 'user_id']).doUpdateSet({
        reason: ban.reason,
        banned_by: ban.banned_by,
        created_at: ban.created_at,
        expires_at: ban.expires_at,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Lifts a ban; whether there was one. */
export async function deleteBan(
  db: Kysely<BansDb>,
  circleId: string,
  userId: string,
): Promise<boolean> {
  const row = await db
    .deleteFrom('bans')
    .where('circle_id', '=', circleId)
    .where('user_id', '=', userId)
    .returning('user_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Bans past their end, oldest first, locked for lifting (skipping locked ones). */
export function expiredBans(db: Kysely<BansDb>, now: Date, limit: number) {
  return db
    .selectFrom('bans')
    .select(['circle_id', 'user_id'])
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** ListBans: the circle's bans in force, newest first. */
export function bansPage(
  db: Kysely<BansDb>,
  input: {
    circleId: string;
    now: Date;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
  },
) {
  const query = db
    .selectFrom('bans')
    .selectAll()
    .where('circle_id', '=', input.circleId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', input.now)]));
  return fetchPage(query, {
    columns: [
      { ref: 'created_at', direction: 'desc' },
      { ref: 'user_id', direction: 'desc' },
    ],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `circle.ListBans|${input.circleId}`,
    keysOf: (row) => [row.created_at],
    idOf: (row) => row.user_id,
  });
}
