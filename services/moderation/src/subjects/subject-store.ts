import { fetchPage, paginate, toPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { sql } from 'kysely';
import type { EventsTable, ModerationDatabase, SubjectsTable } from '../db/schema.js';
import type { SubjectRef } from './subject-ref.js';

type Db = Kysely<ModerationDatabase>;

export type SubjectRow = Selectable<SubjectsTable>;
export type EventRow = Selectable<EventsTable>;

/** The subject's row, created when the subject is new, locked for the transaction. */
export async function lockSubject(db: Db, ref: SubjectRef, now: Date): Promise<SubjectRow> {
  await db
    .insertInto('subjects')
    .values({ kind: ref.kind, id: ref.id, updated_at: now })
    .onConflict((oc) => oc.columns(['kind', 'id']).doNothing())
    .execute();
  return db
    .selectFrom('subjects')
    .selectAll()
    .where('kind', '=', ref.kind)
    .where('id', '=', ref.id)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

export async function findSubject(db: Db, ref: SubjectRef): Promise<SubjectRow | undefined> {
  return db
    .selectFrom('subjects')
    .selectAll()
    .where('kind', '=', ref.kind)
    .where('id', '=', ref.id)
    .executeTakeFirst();
}

export async function updateSubject(
  db: Db,
  ref: SubjectRef,
  patch: Updateable<SubjectsTable>,
): Promise<SubjectRow> {
  return db
    .updateTable('subjects')
    .set(patch)
    .where('kind', '=', ref.kind)
    .where('id', '=', ref.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Appends to the log; returns the rows with their sequence numbers. */
export async function appendEvents(db: Db, rows: Insertable<EventsTable>[]): Promise<EventRow[]> {
  if (rows.length === 0) return [];
  return db.insertInto('events').values(rows).returningAll().execute();
}

/** What the queue shows of a subject's pending reports (those of unmuted reporters). */
export async function pendingReportFigures(db: Db, ref: SubjectRef) {
  const row = await db
    .selectFrom('reports')
    .select((eb) => [
      eb.fn.countAll<string>().as('reports'),
      sql<string>`count(distinct reporter_id)`.as('reporters'),
      sql<number[]>`coalesce(array_agg(distinct category order by category), '{}')`.as(
        'categories',
      ),
      eb.fn.min('created_at').as('first'),
      eb.fn.max('created_at').as('last'),
    ])
    .where('subject_kind', '=', ref.kind)
    .where('subject_id', '=', ref.id)
    .where('outcome', '=', 1)
    .where('queued', '=', true)
    .executeTakeFirstOrThrow();
  return {
    reportCount: Number(row.reports),
    reporterCount: Number(row.reporters),
    categories: row.categories,
    first: row.first as Date | null,
    last: row.last as Date | null,
  };
}

export interface QueueFilter {
  statuses: readonly number[];
  kinds: readonly number[];
  categories: readonly number[];
  minPriority: number;
  sosRelatedOnly: boolean;
  assigneeId?: string;
  unassignedOnly: boolean;
  tags: readonly string[];
  excludeTags: readonly string[];
}

const QUEUE_ORDER = [
  { ref: 'queue_rank', direction: 'asc' },
  { ref: 'first_reported_at', direction: 'asc' },
  { ref: 'id', direction: 'asc' },
] as const;

/**
 * ListQueue: highest priority first, then the oldest first report. Each status is its own
 * ordered range of the queue index, read from the cursor on with the other filters and a
 * limit; the ranges are merged here. (One query over several statuses made Postgres read and
 * sort the whole queue for every page.)
 */
export async function queuePage(
  db: Db,
  filter: QueueFilter,
  page: { pageSize: number; pageToken: string; codec: PageTokenCodec; binding: string },
) {
  const cursor = page.pageToken ? page.codec.decode(page.pageToken, page.binding) : undefined;
  const ranges = await Promise.all(
    [...new Set(filter.statuses)].map((status) => {
      let query = db
        .selectFrom('subjects')
        .selectAll()
        .where('status', '=', status)
        .where('first_reported_at', 'is not', null);
      if (filter.kinds.length) query = query.where('kind', 'in', filter.kinds);
      if (filter.categories.length) {
        query = query.where(sql<boolean>`categories && ${sql.val(filter.categories)}::smallint[]`);
      }
      // As the indexed key: priority ≥ p is queue_rank ≤ 100 − p.
      if (filter.minPriority > 0) query = query.where('queue_rank', '<=', 100 - filter.minPriority);
      if (filter.sosRelatedOnly) query = query.where('sos_related', '=', true);
      if (filter.assigneeId) query = query.where('assignee_id', '=', filter.assigneeId);
      if (filter.unassignedOnly) query = query.where('assignee_id', 'is', null);
      if (filter.tags.length) {
        query = query.where(sql<boolean>`tags && ${sql.val(filter.tags)}::text[]`);
      }
      if (filter.excludeTags.length) {
        query = query.where(sql<boolean>`not (tags && ${sql.val(filter.excludeTags)}::text[])`);
      }
      return paginate(query, { columns: QUEUE_ORDER, pageSize: page.pageSize, cursor }).execute();
    }),
  );
  const merged = ranges
    .flat()
    .sort(
      (a, b) =>
        a.queue_rank - b.queue_rank ||
        a.first_reported_at!.getTime() - b.first_reported_at!.getTime() ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  const result = toPage(merged, page.pageSize, (row) => ({
    keys: [row.queue_rank, row.first_reported_at!.toISOString()],
    id: row.id,
  }));
  return {
    items: result.items,
    nextPageToken: result.nextCursor ? page.codec.encode(result.nextCursor, page.binding) : '',
  };
}

/** A subject's log, newest first. */
export async function subjectEventsPage(
  db: Db,
  ref: SubjectRef,
  page: { pageSize: number; pageToken: string; codec: PageTokenCodec; binding: string },
) {
  const query = db
    .selectFrom('events')
    .selectAll()
    .where('subject_kind', '=', ref.kind)
    .where('subject_id', '=', ref.id);
  return fetchPage(query, {
    columns: [{ ref: 'seq', direction: 'desc' }],
    ...page,
    keysOf: () => [],
    idOf: (row) => String(row.seq),
  });
}

/** Every event, newest first, by one actor and within a time range when asked (the audit log). */
export async function auditPage(
  db: Db,
  filter: { actorUserId?: string; actorRuleId?: string; after?: Date; before?: Date },
  page: { pageSize: number; pageToken: string; codec: PageTokenCodec; binding: string },
) {
  let query = db.selectFrom('events').selectAll();
  if (filter.actorUserId) query = query.where('actor_user_id', '=', filter.actorUserId);
  if (filter.actorRuleId) query = query.where('actor_rule_id', '=', filter.actorRuleId);
  if (filter.after) query = query.where('created_at', '>', filter.after);
  if (filter.before) query = query.where('created_at', '<', filter.before);
  return fetchPage(query, {
    columns: [{ ref: 'seq', direction: 'desc' }],
    ...page,
    keysOf: () => [],
    idOf: (row) => String(row.seq),
  });
}

/** Every event of a subject, oldest first (rebuilding its status from the log). */
export async function subjectLog(db: Db, ref: SubjectRef): Promise<EventRow[]> {
  return db
    .selectFrom('events')
    .selectAll()
    .where('subject_kind', '=', ref.kind)
    .where('subject_id', '=', ref.id)
    .orderBy('seq')
    .execute();
}
