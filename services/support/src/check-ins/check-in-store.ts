import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import { CheckInStatus } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { CheckInsTable, SupportDatabase } from '../db/schema.js';

type Db = Kysely<SupportDatabase>;

export type CheckInRow = Selectable<CheckInsTable>;
export type CheckInPatch = Updateable<CheckInsTable>;

export async function insertCheckIn(db: Db, row: Insertable<CheckInsTable>): Promise<CheckInRow> {
  return db.insertInto('check_ins').values(row).returningAll().executeTakeFirstOrThrow();
}

/** The check-in, locked for the transaction when `lock`. */
export async function findCheckIn(
  db: Db,
  checkInId: string,
  lock = false,
): Promise<CheckInRow | undefined> {
  let query = db.selectFrom('check_ins').selectAll().where('id', '=', checkInId);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function updateCheckIn(
  db: Db,
  checkInId: string,
  patch: CheckInPatch,
): Promise<CheckInRow> {
  return db
    .updateTable('check_ins')
    .set(patch)
    .where('id', '=', checkInId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** How many ACTIVE check-ins the user started themselves (requested ones not counted). */
export async function countOwnActive(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('check_ins')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .where('status', '=', CheckInStatus.ACTIVE)
    .where('requested_by', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The ACTIVE check-in `askerId` requested of `userId`, if any. */
export async function findActiveRequest(
  db: Db,
  userId: string,
  askerId: string,
): Promise<CheckInRow | undefined> {
  return db
    .selectFrom('check_ins')
    .selectAll()
    .where('user_id', '=', userId)
    .where('requested_by', '=', askerId)
    .where('status', '=', CheckInStatus.ACTIVE)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

/** One page of the user's check-ins, newest first. */
export async function checkInsPage(
  db: Db,
  q: {
    userId: string;
    activeOnly: boolean;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
    binding: string;
  },
) {
  let query = db.selectFrom('check_ins').selectAll().where('user_id', '=', q.userId);
  if (q.activeOnly) query = query.where('status', '=', CheckInStatus.ACTIVE);
  return fetchPage(query, {
    columns: [
      { ref: 'created_at', direction: 'desc' },
      { ref: 'id', direction: 'desc' },
    ],
    pageSize: q.pageSize,
    pageToken: q.pageToken,
    codec: q.codec,
    binding: q.binding,
    keysOf: (r) => [r.created_at],
    idOf: (r) => r.id,
  });
}

/** Ids of check-ins whose timer is due, locked while read and skipped by other runners. */
export async function dueCheckIns(db: Db, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('check_ins')
    .select('id')
    .where('timer_at', '<=', now)
    .orderBy('timer_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map((r) => r.id);
}

/** Deletes up to `limit` check-ins that ended before `before`; returns how many. */
export async function deleteEndedBefore(db: Db, before: Date, limit: number): Promise<number> {
  const ended = db
    .selectFrom('check_ins')
    .select('id')
    .where('completed_at', '<', before)
    .limit(limit)
    .forUpdate()
    .skipLocked();
  const result = await db.deleteFrom('check_ins').where('id', 'in', ended).executeTakeFirst();
  return Number(result.numDeletedRows);
}
