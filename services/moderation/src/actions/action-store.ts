import { fetchPage, NEWEST_FIRST } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { ActionsTable, AppealsTable, ModerationDatabase, StrikesTable } from '../db/schema.js';
import type { SubjectRef } from '../subjects/subject-ref.js';

type Db = Kysely<ModerationDatabase>;
type PageOptions = { pageSize: number; pageToken: string; codec: PageTokenCodec; binding: string };
export type ActionRow = Selectable<ActionsTable>;
export type AppealRow = Selectable<AppealsTable>;
export type StrikeRow = Selectable<StrikesTable>;

export async function insertAction(db: Db, row: Insertable<ActionsTable>): Promise<ActionRow> {
  return db.insertInto('actions').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findAction(db: Db, id: string, lock = false) {
  let query = db.selectFrom('actions').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function updateAction(
  db: Db,
  id: string,
  patch: Updateable<ActionsTable>,
): Promise<ActionRow> {
  return db
    .updateTable('actions')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The actions in force on a subject, oldest first. */
export async function activeActionsOn(db: Db, ref: SubjectRef): Promise<ActionRow[]> {
  return db
    .selectFrom('actions')
    .selectAll()
    .where('subject_kind', '=', ref.kind)
    .where('subject_id', '=', ref.id)
    .where('reversed_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Temporary actions past their expiry and still in force (the expiry daemon's work). */
export async function dueExpiries(db: Db, now: Date, limit: number) {
  return db
    .selectFrom('actions')
    .select('id')
    .where('reversed_at', 'is', null)
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
}

export async function myActionsPage(db: Db, userId: string, page: PageOptions) {
  const query = db.selectFrom('actions').selectAll().where('user_id', '=', userId);
  return fetchPage(query, {
    columns: NEWEST_FIRST,
    ...page,
    keysOf: (row) => [row.created_at.toISOString()],
    idOf: (row) => row.id,
  });
}

export async function insertStrike(db: Db, row: Insertable<StrikesTable>): Promise<void> {
  await db.insertInto('strikes').values(row).execute();
}

/** Strikes that count now: not expired, and their action not reversed. */
export async function activeStrikeCount(db: Db, userId: string, now: Date): Promise<number> {
  const row = await db
    .selectFrom('strikes as s')
    .innerJoin('actions as a', 'a.id', 's.action_id')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('s.user_id', '=', userId)
    .where('s.expires_at', '>', now)
    .where((eb) => eb.or([eb('a.reversed_at', 'is', null), eb('a.reversal_cause', '=', 3)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function myStrikesPage(
  db: Db,
  userId: string,
  includeExpired: boolean,
  now: Date,
  page: PageOptions,
) {
  let query = db.selectFrom('strikes').selectAll().where('user_id', '=', userId);
  if (!includeExpired) query = query.where('expires_at', '>', now);
  return fetchPage(query, {
    columns: NEWEST_FIRST,
    ...page,
    keysOf: (row) => [row.created_at.toISOString()],
    idOf: (row) => row.id,
  });
}

export async function actionsByIds(db: Db, ids: readonly string[]): Promise<ActionRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('actions').selectAll().where('id', 'in', ids).execute();
}

export async function insertAppeal(db: Db, row: Insertable<AppealsTable>): Promise<AppealRow> {
  return db
    .insertInto('appeals')
    .values(row)
    .onConflict((oc) => oc.column('action_id').doNothing())
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findAppeal(db: Db, id: string, lock = false) {
  let query = db.selectFrom('appeals').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function appealsOfActions(db: Db, actionIds: readonly string[]) {
  if (actionIds.length === 0) return new Map<string, AppealRow>();
  const rows = await db
    .selectFrom('appeals')
    .selectAll()
    .where('action_id', 'in', actionIds)
    .execute();
  return new Map(rows.map((r) => [r.action_id, r]));
}

export async function updateAppeal(
  db: Db,
  id: string,
  patch: Updateable<AppealsTable>,
): Promise<AppealRow> {
  return db
    .updateTable('appeals')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Appeals with these statuses, oldest first. */
export async function appealsPage(db: Db, statuses: readonly number[], page: PageOptions) {
  const query = db.selectFrom('appeals').selectAll().where('status', 'in', statuses);
  return fetchPage(query, {
    columns: [
      { ref: 'created_at', direction: 'asc' },
      { ref: 'id', direction: 'asc' },
    ],
    ...page,
    keysOf: (row) => [row.created_at.toISOString()],
    idOf: (row) => row.id,
  });
}

/** Whether staff or an appeal reversed an action on the subject (a human decided it). */
export async function humanReversalOn(db: Db, ref: SubjectRef): Promise<boolean> {
  const row = await db
    .selectFrom('actions')
    .select('id')
    .where('subject_kind', '=', ref.kind)
    .where('subject_id', '=', ref.id)
    .where('reversal_cause', 'in', [1, 2])
    .executeTakeFirst();
  return row !== undefined;
}
