import type { Generated, Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';

/** A data export (kith.user.v1.DataExport); `status` holds DataExportStatus numbers. */
export interface DataExportTable {
  id: string;
  user_id: string;
  status: number;
  requested_at: Date;
  ready_at: Date | null;
  expires_at: Date | null;
  downloaded_at: Date | null;
  failed_at: Date | null;
  size_bytes: Generated<string>;
  archive_key: string | null;
}

/** One service's part of an export, as its data.export_part_ready said (first one kept). */
export interface DataExportPartTable {
  data_export_id: string;
  service: number;
  user_id: string;
  object_key: string;
  sha256: string;
  size_bytes: string;
  received_at: Date;
}

/** A pending account deletion, then the erasure saga's state until every service acknowledged. */
export interface AccountDeletionTable {
  user_id: string;
  requested_at: Date;
  scheduled_for: Date;
  erasing_since: Date | null;
  erased_published_at: Date | null;
  last_published_at: Date | null;
  alerted_at: Date | null;
}

/** One service's data.erasure_completed for a user whose erasure saga is running. */
export interface ErasureAckTable {
  user_id: string;
  service: number;
  acknowledged_at: Date;
}

/** Why people leave, kept without any link to who said it. */
export interface DeletionFeedbackTable {
  id: string;
  reason: string;
  received_on: string;
}

export interface LifecycleDb {
  data_exports: DataExportTable;
  data_export_parts: DataExportPartTable;
  account_deletions: AccountDeletionTable;
  erasure_acks: ErasureAckTable;
  deletion_feedback: DeletionFeedbackTable;
}

export type DataExportRow = Selectable<DataExportTable>;
export type DataExportPartRow = Selectable<DataExportPartTable>;
export type AccountDeletionRow = Selectable<AccountDeletionTable>;

// ---- data exports ----------------------------------------------------------------------------

/**
 * Serialises export requests of one user for the rest of the transaction, so two concurrent
 * RequestDataExport calls cannot both pass the 1-per-7-days check.
 */
export async function lockExportsOf(db: Kysely<LifecycleDb>, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`data-export:${userId}`}, 0))`.execute(
    db,
  );
}

/** The user's newest export that counts against the rate limit (every status but FAILED). */
export async function latestCountingExport(
  db: Kysely<LifecycleDb>,
  userId: string,
  failed: number,
): Promise<DataExportRow | undefined> {
  return db
    .selectFrom('data_exports')
    .selectAll()
    .where('user_id', '=', userId)
    .where('status', '!=', failed)
    .orderBy('requested_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function insertDataExport(
  db: Kysely<LifecycleDb>,
  row: { id: string; userId: string; status: number; requestedAt: Date },
): Promise<DataExportRow> {
  return db
    .insertInto('data_exports')
    .values({
      id: row.id,
      user_id: row.userId,
      status: row.status,
      requested_at: row.requestedAt,
      ready_at: null,
      expires_at: null,
      downloaded_at: null,
      failed_at: null,
      archive_key: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** One export of `userId`; undefined for an unknown id or anyone else's. */
export async function exportOf(
  db: Kysely<LifecycleDb>,
  userId: string,
  exportId: string,
): Promise<DataExportRow | undefined> {
  return db
    .selectFrom('data_exports')
    .selectAll()
    .where('id', '=', exportId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** An export by id, locked for the rest of the transaction (assembly, download). */
export async function lockExport(
  db: Kysely<LifecycleDb>,
  exportId: string,
): Promise<DataExportRow | undefined> {
  return db
    .selectFrom('data_exports')
    .selectAll()
    .where('id', '=', exportId)
    .forUpdate()
    .executeTakeFirst();
}

/** Records a part; a duplicate (same export and service) keeps the first. True when new. */
export async function insertExportPart(
  db: Kysely<LifecycleDb>,
  part: Omit<DataExportPartRow, 'size_bytes'> & { size_bytes: number },
): Promise<boolean> {
  const inserted = await db
    .insertInto('data_export_parts')
    .values({ ...part, size_bytes: String(part.size_bytes) })
    .onConflict((oc) => oc.columns(['data_export_id', 'service']).doNothing())
    .returning('service')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function partsOf(
  db: Kysely<LifecycleDb>,
  exportId: string,
): Promise<DataExportPartRow[]> {
  return db
    .selectFrom('data_export_parts')
    .selectAll()
    .where('data_export_id', '=', exportId)
    .orderBy('service')
    .execute();
}

export async function markExportReady(
  db: Kysely<LifecycleDb>,
  exportId: string,
  ready: { status: number; readyAt: Date; expiresAt: Date; sizeBytes: number; archiveKey: string },
): Promise<void> {
  await db
    .updateTable('data_exports')
    .set({
      status: ready.status,
      ready_at: ready.readyAt,
      expires_at: ready.expiresAt,
      size_bytes: String(ready.sizeBytes),
      archive_key: ready.archiveKey,
    })
    .where('id', '=', exportId)
    .execute();
}

/**
 * Moves exports from one status to another (stamping `stamp` with `at`); the rows that moved,
 * none for an export that had already moved on.
 */
export async function moveExports(
  db: Kysely<LifecycleDb>,
  move: {
    from: number;
    to: number;
    ids: readonly string[];
    stamp?: 'failed_at' | 'downloaded_at';
    at: Date;
  },
): Promise<DataExportRow[]> {
  if (move.ids.length === 0) return [];
  return db
    .updateTable('data_exports')
    .set({ status: move.to, ...(move.stamp ? { [move.stamp]: move.at } : {}) })
    .where('id', 'in', move.ids)
    .where('status', '=', move.from)
    .returningAll()
    .execute();
}

/** Exports in `status` whose `column` is at or before `before`, oldest first. */
export async function exportsDue(
  db: Kysely<LifecycleDb>,
  query: { status: number; column: 'requested_at' | 'expires_at'; before: Date; limit: number },
): Promise<DataExportRow[]> {
  return db
    .selectFrom('data_exports')
    .selectAll()
    .where('status', '=', query.status)
    .where(query.column, '<=', query.before)
    .orderBy(query.column)
    .limit(query.limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

// ---- account deletion ------------------------------------------------------------------------

export async function deletionOf(
  db: Kysely<LifecycleDb>,
  userId: string,
  options: { lock?: boolean } = {},
): Promise<AccountDeletionRow | undefined> {
  const query = db.selectFrom('account_deletions').selectAll().where('user_id', '=', userId);
  return options.lock ? query.forUpdate().executeTakeFirst() : query.executeTakeFirst();
}

/** Schedules a deletion; an existing one is kept as it is (the grace period never restarts). */
export async function insertDeletion(
  db: Kysely<LifecycleDb>,
  row: { userId: string; requestedAt: Date; scheduledFor: Date },
): Promise<AccountDeletionRow> {
  await db
    .insertInto('account_deletions')
    .values({
      user_id: row.userId,
      requested_at: row.requestedAt,
      scheduled_for: row.scheduledFor,
      erasing_since: null,
      erased_published_at: null,
      last_published_at: null,
      alerted_at: null,
    })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
  return db
    .selectFrom('account_deletions')
    .selectAll()
    .where('user_id', '=', row.userId)
    .executeTakeFirstOrThrow();
}

/** Cancels a deletion still in its grace period; false when there was none to cancel. */
export async function deleteGraceDeletion(
  db: Kysely<LifecycleDb>,
  userId: string,
): Promise<boolean> {
  const gone = await db
    .deleteFrom('account_deletions')
    .where('user_id', '=', userId)
    .where('erasing_since', 'is', null)
    .returning('user_id')
    .executeTakeFirst();
  return gone !== undefined;
}

export async function insertDeletionFeedback(
  db: Kysely<LifecycleDb>,
  feedback: { id: string; reason: string; receivedOn: string },
): Promise<void> {
  await db
    .insertInto('deletion_feedback')
    .values({ id: feedback.id, reason: feedback.reason, received_on: feedback.receivedOn })
    .execute();
}

/**
 * Deletions whose grace period is over and whose user.erased is not out yet (new ones, and
 * ones a crash interrupted), locked so two replicas never run the same one at once.
 */
export async function deletionsToErase(
  db: Kysely<LifecycleDb>,
  now: Date,
  limit: number,
): Promise<AccountDeletionRow[]> {
  return db
    .selectFrom('account_deletions')
    .selectAll()
    .where('scheduled_for', '<=', now)
    .where('erased_published_at', 'is', null)
    .orderBy('scheduled_for')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** Sagas whose user.erased went out before `before` and that still miss an acknowledgement. */
export async function erasuresToRepublish(
  db: Kysely<LifecycleDb>,
  before: Date,
  limit: number,
): Promise<AccountDeletionRow[]> {
  return db
    .selectFrom('account_deletions')
    .selectAll()
    .where('last_published_at', '<=', before)
    .orderBy('last_published_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** Running sagas (user.erased published), for the completion check. */
export async function publishedErasures(
  db: Kysely<LifecycleDb>,
  limit: number,
): Promise<AccountDeletionRow[]> {
  return db
    .selectFrom('account_deletions')
    .selectAll()
    .where('erased_published_at', 'is not', null)
    .orderBy('erased_published_at')
    .limit(limit)
    .execute();
}

export async function markErasing(
  db: Kysely<LifecycleDb>,
  userId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('account_deletions')
    .set((eb) => ({ erasing_since: eb.fn.coalesce('erasing_since', eb.val(now)) }))
    .where('user_id', '=', userId)
    .execute();
}

export async function markErasedPublished(
  db: Kysely<LifecycleDb>,
  userId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('account_deletions')
    .set((eb) => ({
      erased_published_at: eb.fn.coalesce('erased_published_at', eb.val(now)),
      last_published_at: now,
    }))
    .where('user_id', '=', userId)
    .execute();
}

export async function markErasureAlerted(
  db: Kysely<LifecycleDb>,
  userId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('account_deletions')
    .set({ alerted_at: now })
    .where('user_id', '=', userId)
    .execute();
}

/** Records an acknowledgement; a duplicate keeps the first. */
export async function insertErasureAck(
  db: Kysely<LifecycleDb>,
  ack: { userId: string; service: number; at: Date },
): Promise<void> {
  await db
    .insertInto('erasure_acks')
    .values({ user_id: ack.userId, service: ack.service, acknowledged_at: ack.at })
    .onConflict((oc) => oc.columns(['user_id', 'service']).doNothing())
    .execute();
}

export async function acknowledgedServices(
  db: Kysely<LifecycleDb>,
  userId: string,
): Promise<number[]> {
  const rows = await db
    .selectFrom('erasure_acks')
    .select('service')
    .where('user_id', '=', userId)
    .execute();
  return rows.map((row) => row.service);
}

/** The saga is over: its state goes too, so nothing about the user is left in the schema. */
export async function deleteErasureSaga(db: Kysely<LifecycleDb>, userId: string): Promise<void> {
  await db.deleteFrom('erasure_acks').where('user_id', '=', userId).execute();
  await db.deleteFrom('account_deletions').where('user_id', '=', userId).execute();
}
