import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Kysely, Selectable } from 'kysely';
import type { ModerationDatabase, ReporterMutesTable } from '../db/schema.js';

type Db = Kysely<ModerationDatabase>;
export type ReporterMuteRow = Selectable<ReporterMutesTable>;

export async function saveReporterMute(db: Db, row: ReporterMuteRow): Promise<void> {
  await db
    .insertInto('reporter_mutes')
    .values(row)
    .onConflict((oc) =>
      oc.column('reporter_id').doUpdateSet({
        until: row.until,
        reason: row.reason,
        muted_by: row.muted_by,
        muted_at: row.muted_at,
      }),
    )
    .execute();
}

/** Ends the reporter's mute now; false when none was in force. */
export async function endReporterMute(db: Db, reporterId: string, now: Date): Promise<boolean> {
  const rows = await db
    .deleteFrom('reporter_mutes')
    .where('reporter_id', '=', reporterId)
    .where('until', '>', now)
    .returning('reporter_id')
    .execute();
  return rows.length > 0;
}

/** Reporters muted now, soonest expiry first. */
export async function mutedReportersPage(
  db: Db,
  now: Date,
  page: { pageSize: number; pageToken: string; codec: PageTokenCodec; binding: string },
) {
  const query = db.selectFrom('reporter_mutes').selectAll().where('until', '>', now);
  return fetchPage(query, {
    columns: [
      { ref: 'until', direction: 'asc' },
      { ref: 'reporter_id', direction: 'asc' },
    ],
    ...page,
    keysOf: (row) => [row.until.toISOString()],
    idOf: (row) => row.reporter_id,
  });
}

/** Muted subjects whose mute has run out (the daemon unmutes them). */
export async function expiredSubjectMutes(db: Db, now: Date, limit: number) {
  return db
    .selectFrom('subjects')
    .select(['kind', 'id'])
    .where('status', '=', 6)
    .where('muted_until', '<=', now)
    .orderBy('muted_until')
    .limit(limit)
    .execute();
}
