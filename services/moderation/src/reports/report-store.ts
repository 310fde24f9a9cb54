import { fetchPage, NEWEST_FIRST } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { ModerationDatabase, ReportsTable, SnapshotsTable } from '../db/schema.js';
import type { SubjectRef } from '../subjects/subject-ref.js';

type Db = Kysely<ModerationDatabase>;
export type ReportRow = Selectable<ReportsTable>;

const PENDING = 1;

/** The reporter's pending report of the subject (merged into on a repeat), locked. */
export async function findPendingReport(
  db: Db,
  reporterId: string,
  ref: SubjectRef,
): Promise<ReportRow | undefined> {
  return db
    .selectFrom('reports')
    .selectAll()
    .where('reporter_id', '=', reporterId)
    .where('subject_kind', '=', ref.kind)
    .where('subject_id', '=', ref.id)
    .where('outcome', '=', PENDING)
    .forUpdate()
    .executeTakeFirst();
}

export async function insertReport(db: Db, row: Insertable<ReportsTable>): Promise<ReportRow> {
  return db.insertInto('reports').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateReport(
  db: Db,
  id: string,
  patch: Updateable<ReportsTable>,
): Promise<ReportRow> {
  return db
    .updateTable('reports')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Whether the reporter's reports are kept out of the queue now. */
export async function isReporterMuted(db: Db, reporterId: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('reporter_mutes')
    .select('reporter_id')
    .where('reporter_id', '=', reporterId)
    .where('until', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}

/** Keeps a snapshot unless one of this content version is kept already; returns the kept id. */
export async function keepSnapshot(db: Db, row: Insertable<SnapshotsTable>): Promise<string> {
  await db
    .insertInto('snapshots')
    .values(row)
    .onConflict((oc) => oc.columns(['subject_kind', 'subject_id', 'content_version']).doNothing())
    .execute();
  const kept = await db
    .selectFrom('snapshots')
    .select('id')
    .where('subject_kind', '=', row.subject_kind)
    .where('subject_id', '=', row.subject_id)
    .where('content_version', '=', String(row.content_version))
    .executeTakeFirstOrThrow();
  return kept.id;
}

export async function myReportsPage(
  db: Db,
  reporterId: string,
  page: { pageSize: number; pageToken: string; codec: PageTokenCodec; binding: string },
) {
  const query = db.selectFrom('reports').selectAll().where('reporter_id', '=', reporterId);
  return fetchPage(query, {
    columns: NEWEST_FIRST,
    ...page,
    keysOf: (row) => [row.created_at.toISOString()],
    idOf: (row) => row.id,
  });
}

/**
 * Decides every pending report of the subject (a Dismiss or TakeAction at log position `seq`);
 * returns them, so their reporters can be told.
 */
export async function decidePendingReports(
  db: Db,
  ref: SubjectRef,
  decision: { outcome: number; message: string; actionId: string | null; seq: bigint; now: Date },
): Promise<ReportRow[]> {
  return db
    .updateTable('reports')
    .set({
      outcome: decision.outcome,
      outcome_message: decision.message,
      action_id: decision.actionId,
      decision_seq: decision.seq,
      decided_at: decision.now,
    })
    .where('subject_kind', '=', ref.kind)
    .where('subject_id', '=', ref.id)
    .where('outcome', '=', PENDING)
    .returningAll()
    .execute();
}

/** The log position of the subject's last decision, if any report was decided by it. */
export async function lastDecisionSeq(db: Db, ref: SubjectRef): Promise<string | null> {
  const row = await db
    .selectFrom('reports')
    .select((eb) => eb.fn.max('decision_seq').as('seq'))
    .where('subject_kind', '=', ref.kind)
    .where('subject_id', '=', ref.id)
    .executeTakeFirst();
  return (row?.seq as string | null | undefined) ?? null;
}

/**
 * Reopen: the reports the last decision closed are pending again, except where their reporter
 * has filed a newer pending report of the subject since (one pending report per reporter).
 */
export async function reopenReports(db: Db, ref: SubjectRef, seq: string): Promise<void> {
  await db
    .updateTable('reports as r')
    .set({
      outcome: PENDING,
      outcome_message: '',
      action_id: null,
      decision_seq: null,
      decided_at: null,
    })
    .where('r.subject_kind', '=', ref.kind)
    .where('r.subject_id', '=', ref.id)
    .where('r.decision_seq', '=', seq)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('reports as p')
            .select('p.id')
            .whereRef('p.reporter_id', '=', 'r.reporter_id')
            .whereRef('p.subject_kind', '=', 'r.subject_kind')
            .whereRef('p.subject_id', '=', 'r.subject_id')
            .where('p.outcome', '=', PENDING),
        ),
      ),
    )
    .execute();
}

/** The subject's snapshots, newest first (at most `limit`). */
export async function snapshotsOf(
  db: Db,
  ref: SubjectRef,
  limit: number,
): Promise<Selectable<SnapshotsTable>[]> {
  return db
    .selectFrom('snapshots')
    .selectAll()
    .where('subject_kind', '=', ref.kind)
    .where('subject_id', '=', ref.id)
    .orderBy('captured_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
