import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { ModerationDatabase } from '../db/schema.js';

type Db = Kysely<ModerationDatabase>;

/** The log's report_filed events `userId` filed, not yet redacted. */
export function reportEventsOf(db: Db, userId: string) {
  return db
    .selectFrom('events')
    .select(['seq', 'body'])
    .where('kind', '=', 'reportFiled')
    .where('actor_user_id', '=', userId)
    .where('redacted_at', 'is', null)
    .orderBy('seq')
    .execute();
}

/** `userId`'s appeals: their ids, and the subjects of the appealed actions. */
export function appealsOf(db: Db, userId: string) {
  return db
    .selectFrom('appeals as p')
    .innerJoin('actions as a', 'a.id', 'p.action_id')
    .select(['p.id', 'a.subject_kind', 'a.subject_id'])
    .where('p.user_id', '=', userId)
    .execute();
}

/** The appeal_filed and appeal_resolved events on `subjectIds` not yet redacted. */
export function appealEventsOn(db: Db, subjectIds: string[]) {
  if (subjectIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('events')
    .select(['seq', 'body'])
    .where('kind', 'in', ['appealFiled', 'appealResolved'])
    .where('subject_id', 'in', subjectIds)
    .where('redacted_at', 'is', null)
    .orderBy('seq')
    .execute();
}

/**
 * Rewrites events with their redacted bodies (and without their user actor when
 * `detachActor`), stamping `redacted_at`: the log's trigger lets exactly this through while
 * `moderation.erasure` is on, for the rest of this statement sequence only (it is turned off
 * again before returning, and set_config(…, true) ends with the transaction anyway).
 */
export async function redactEvents(
  db: Db,
  rows: { seq: string; body: Uint8Array; detachActor: boolean }[],
  now: Date,
): Promise<void> {
  if (rows.length === 0) return;
  await sql`select set_config('moderation.erasure', 'on', true)`.execute(db);
  for (const row of rows) {
    await db
      .updateTable('events')
      .set({
        body: row.body,
        redacted_at: now,
        ...(row.detachActor ? { actor_user_id: null } : {}),
      })
      .where('seq', '=', row.seq)
      .execute();
  }
  await sql`select set_config('moderation.erasure', '', true)`.execute(db);
}

/**
 * The reports `userId` filed stay as records of what was reported, detached from them: each
 * reporter id becomes a fresh random id that identifies nobody (distinct per report, so the
 * one-pending-report index still holds), and their comment goes. A detached report no longer
 * counts in the queue's figures and its decision tells nobody (`queued` false, as a muted
 * reporter's): there is no one left to tell.
 */
export async function detachReports(db: Db, userId: string): Promise<number> {
  const rows = await db
    .updateTable('reports')
    .set({ reporter_id: sql<string>`gen_random_uuid()`, comment: '', queued: false })
    .where('reporter_id', '=', userId)
    .returning('id')
    .execute();
  return rows.length;
}

/** The text of `userId`'s appeals goes; status and decision stay. */
export async function wipeAppealTexts(db: Db, userId: string): Promise<number> {
  const rows = await db
    .updateTable('appeals')
    .set({ text: '' })
    .where('user_id', '=', userId)
    .where('text', '!=', '')
    .returning('id')
    .execute();
  return rows.length;
}

/** The snapshots of content `userId` authored (binary ContentSnapshot). */
export function authoredSnapshots(db: Db, userId: string) {
  return db
    .selectFrom('snapshots')
    .select(['id', 'body'])
    .where('author_id', '=', userId)
    .orderBy('id')
    .execute();
}

export async function replaceSnapshotBody(db: Db, id: string, body: Uint8Array): Promise<void> {
  await db.updateTable('snapshots').set({ body }).where('id', '=', id).execute();
}

/**
 * What moderation keeps only for the user's sake or for work in flight: their reporter mute,
 * their staff role, their counted events for rate rules, their content waiting for the rules.
 */
export async function forgetUser(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('reporter_mutes').where('reporter_id', '=', userId).execute();
  await db.deleteFrom('staff').where('user_id', '=', userId).execute();
  await db.deleteFrom('rate_counts').where('user_id', '=', userId).execute();
  await db.deleteFrom('rule_jobs').where('author_id', '=', userId).execute();
}
