import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { ColumnType, Kysely, Selectable } from 'kysely';
import type { PushJobsDb } from './push-job-store.js';

/** A push endpoint: one row per provider token, bound to the session that registered it. */
export interface PushDeviceTable {
  id: string;
  user_id: string;
  session_id: string;
  /** kith.user.v1.PushPlatform. */
  platform: number;
  /** APNs device token (lowercase hex), FCM registration token or Web Push endpoint. */
  token: string;
  web_push_p256dh: string | null;
  web_push_auth: string | null;
  /** kith.user.v1.ApnsEnvironment, APNs only. */
  apns_environment: number | null;
  app_id: string | null;
  device_label: string;
  created_at: Date;
  last_seen_at: Date;
}

/** One push to one device, until it is sent, its device goes, or it becomes a dead letter. */
export interface PushDeliveryTable {
  id: string;
  job_id: string;
  device_id: string;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
}

/** A delivery that failed its last attempt, kept for the operator. */
export interface PushDeadLetterTable {
  id: string;
  job_id: string;
  notification_id: string;
  recipient_id: string;
  device_id: string;
  platform: number;
  attempts: number;
  last_error: string;
  created_at: Date;
  dead_at: Date;
}

/** A push job the worker has made its per-device deliveries for. */
export interface PushFanoutTable {
  job_id: string;
  fanned_out_at: Date;
}

export interface PushDb {
  push_fanouts: PushFanoutTable;
  push_devices: PushDeviceTable;
  push_deliveries: PushDeliveryTable;
  push_dead_letters: PushDeadLetterTable;
}

/** The tables the push stores use: their own and the jobs they take. */
export type PushStoreDb = PushDb & PushJobsDb;
type Db = Kysely<PushStoreDb>;
export type PushDeviceRow = Selectable<PushDeviceTable>;

// Devices.

/** The device holding a provider token, locked: registration updates or takes it over. */
export function deviceByToken(
  db: Db,
  platform: number,
  token: string,
): Promise<PushDeviceRow | undefined> {
  return db
    .selectFrom('push_devices')
    .selectAll()
    .where('platform', '=', platform)
    .where('token', '=', token)
    .forUpdate()
    .executeTakeFirst();
}

export async function insertDevice(db: Db, row: PushDeviceRow): Promise<void> {
  await db.insertInto('push_devices').values(row).execute();
}

/** A re-registration by the same user: the session, keys and label of the latest one. */
export async function refreshDevice(
  db: Db,
  id: string,
  patch: Pick<
    PushDeviceRow,
    | 'session_id'
    | 'web_push_p256dh'
    | 'web_push_auth'
    | 'apns_environment'
    | 'app_id'
    | 'device_label'
    | 'last_seen_at'
  >,
): Promise<PushDeviceRow> {
  return db
    .updateTable('push_devices')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Removes one device; how many went (0 or 1). */
export async function deleteDevice(db: Db, id: string): Promise<number> {
  const result = await db.deleteFrom('push_devices').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Removes one of the user's devices; 0 when it is someone else's or gone. */
export async function deleteDeviceOfUser(
  db: Db,
  input: { userId: string; deviceId: string },
): Promise<number> {
  const result = await db
    .deleteFrom('push_devices')
    .where('id', '=', input.deviceId)
    .where('user_id', '=', input.userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The session ended: its devices go (with their pending deliveries). */
export async function deleteDevicesOfSession(
  db: Db,
  input: { userId: string; sessionId: string },
): Promise<number> {
  const result = await db
    .deleteFrom('push_devices')
    .where('user_id', '=', input.userId)
    .where('session_id', '=', input.sessionId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Every device of the user goes (account disabled, registration expired, erasure). */
export async function deleteDevicesOfUser(db: Db, userId: string): Promise<number> {
  const result = await db
    .deleteFrom('push_devices')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Keeps the user's `keep` most recently seen devices and removes the rest. */
export async function deleteDevicesBeyond(
  db: Db,
  input: { userId: string; keep: number },
): Promise<number> {
  const result = await db
    .deleteFrom('push_devices')
    .where('user_id', '=', input.userId)
    .where('id', 'not in', (qb) =>
      qb
        .selectFrom('push_devices')
        .select('id')
        .where('user_id', '=', input.userId)
        .orderBy('last_seen_at', 'desc')
        .orderBy('id', 'desc')
        .limit(input.keep),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A page of the user's devices, most recently seen first. */
export function devicesPage(
  codec: PageTokenCodec,
  db: Db,
  input: { userId: string; pageSize: number; pageToken: string },
) {
  const query = db.selectFrom('push_devices').selectAll().where('user_id', '=', input.userId);
  return fetchPage(query, {
    columns: [
      { ref: 'last_seen_at', direction: 'desc' },
      { ref: 'id', direction: 'desc' },
    ],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec,
    binding: `user.ListPushDevices|${input.userId}`,
    keysOf: (row) => [row.last_seen_at],
    idOf: (row) => row.id,
  });
}

/** The ids of the devices of these users (the fan-out of their pushes). */
export function deviceIdsOfUsers(
  db: Db,
  userIds: readonly string[],
): Promise<{ id: string; user_id: string }[]> {
  if (userIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('push_devices')
    .select(['id', 'user_id'])
    .where('user_id', 'in', userIds)
    .execute();
}

// Jobs (written by the notifications area with enqueuePush).

/** Jobs not fanned out yet, oldest first, locked; rows another worker holds are skipped. */
export function claimPendingJobs(
  db: Db,
  limit: number,
): Promise<{ id: string; recipient_id: string }[]> {
  return db
    .selectFrom('push_jobs')
    .select(['id', 'recipient_id'])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('push_fanouts')
            .select('job_id')
            .whereRef('push_fanouts.job_id', '=', 'push_jobs.id'),
        ),
      ),
    )
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

export async function markJobsFannedOut(db: Db, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .insertInto('push_fanouts')
    .values(ids.map((id) => ({ job_id: id, fanned_out_at: now })))
    .onConflict((oc) => oc.column('job_id').doNothing())
    .execute();
}

/** Jobs fanned out before `before` (their receipts are no longer expected) go. */
export async function pruneFannedOutJobs(db: Db, before: Date, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('push_jobs')
    .where('id', 'in', (qb) =>
      qb
        .selectFrom('push_fanouts')
        .select('job_id')
        .where('fanned_out_at', '<', before)
        .orderBy('fanned_out_at')
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The recipient's pushes among these notifications: what a receipt may confirm. */
export function pushedNotificationsOf(
  db: Db,
  input: { recipientId: string; notificationIds: readonly string[] },
): Promise<{ notification_id: string; notification_type: number; data: Record<string, string> }[]> {
  if (input.notificationIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('push_jobs')
    .select(['notification_id', 'notification_type', 'data'])
    .where('recipient_id', '=', input.recipientId)
    .where('notification_id', 'in', input.notificationIds)
    .execute();
}

// Deliveries.

export async function insertDeliveries(
  db: Db,
  rows: readonly {
    id: string;
    job_id: string;
    device_id: string;
    next_attempt_at: Date;
    created_at: Date;
  }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('push_deliveries')
    .values([...rows])
    .onConflict((oc) => oc.columns(['job_id', 'device_id']).doNothing())
    .execute();
}

/** Due deliveries, locked; rows another worker holds are skipped (lease them next). */
export async function claimDueDeliveries(
  db: Db,
  input: { now: Date; limit: number },
): Promise<string[]> {
  const due = await db
    .selectFrom('push_deliveries')
    .select('id')
    .where('next_attempt_at', '<=', input.now)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(input.limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return due.map((row) => row.id);
}

/**
 * Pushes the claimed deliveries' due time to `leaseUntil` and counts the attempt: no other
 * worker takes them while this one sends, and a worker that dies mid-send lets them come back
 * once the lease is over.
 */
export async function leaseDeliveries(
  db: Db,
  ids: readonly string[],
  leaseUntil: Date,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('push_deliveries')
    .set((eb) => ({ next_attempt_at: leaseUntil, attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', ids)
    .execute();
}

/** The claimed deliveries with their push and device: what the adapters send. */
export function deliveriesToSend(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('push_deliveries as d')
    .innerJoin('push_jobs as j', 'j.id', 'd.job_id')
    .innerJoin('push_devices as v', 'v.id', 'd.device_id')
    .select([
      'd.id as delivery_id',
      'd.attempts',
      'd.created_at as delivery_created_at',
      'j.id as job_id',
      'j.notification_id',
      'j.recipient_id',
      'j.notification_type',
      'j.title',
      'j.body',
      'j.data',
      'j.critical',
      'j.time_sensitive',
      'j.created_at as job_created_at',
      'v.id as device_id',
      'v.platform',
      'v.token',
      'v.web_push_p256dh',
      'v.web_push_auth',
      'v.apns_environment',
      'v.app_id',
    ])
    .where('d.id', 'in', ids)
    .execute();
}

export async function deleteDelivery(db: Db, id: string): Promise<void> {
  await db.deleteFrom('push_deliveries').where('id', '=', id).execute();
}

export async function rescheduleDelivery(
  db: Db,
  input: { id: string; nextAttemptAt: Date; lastError: string },
): Promise<void> {
  await db
    .updateTable('push_deliveries')
    .set({ next_attempt_at: input.nextAttemptAt, last_error: input.lastError })
    .where('id', '=', input.id)
    .execute();
}

export async function insertDeadLetter(
  db: Db,
  row: Selectable<PushDeadLetterTable>,
): Promise<void> {
  await db.insertInto('push_dead_letters').values(row).execute();
}

// Erasure.
