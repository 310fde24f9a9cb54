import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Push: the devices (one row per provider token, bound to the session that registered it),
 * the per-device deliveries the worker sends with retries, the dead letters a delivery becomes
 * after its last attempt, and which push jobs (the notifications area's handoff) were fanned
 * out. Jobs are kept a week after: they are what ConfirmPushDelivery reads.
 */
export const createPush: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('push_devices')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('session_id', 'uuid', (c) => c.notNull())
      // kith.user.v1.PushPlatform number; never 0.
      .addColumn('platform', 'smallint', (c) => c.notNull())
      // APNs device token (lowercase hex), FCM registration token, or Web Push endpoint.
      .addColumn('token', 'text', (c) => c.notNull())
      .addColumn('web_push_p256dh', 'text')
      .addColumn('web_push_auth', 'text')
      // kith.user.v1.ApnsEnvironment number, APNs only.
      .addColumn('apns_environment', 'smallint')
      .addColumn('app_id', 'text')
      .addColumn('device_label', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('last_seen_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addUniqueConstraint('push_devices_platform_token_key', ['platform', 'token'])
      .execute();
    await db.schema
      .createIndex('push_devices_user_seen_idx')
      .on('push_devices')
      .columns(['user_id', 'last_seen_at desc', 'id desc'])
      .execute();
    await db.schema
      .createIndex('push_devices_session_idx')
      .on('push_devices')
      .column('session_id')
      .execute();

    // Which push jobs the worker has fanned out (push_jobs stays the notifications area's
    // record, never rewritten by the worker); kept as long as the job.
    await db.schema
      .createTable('push_fanouts')
      .addColumn('job_id', 'uuid', (c) =>
        c.primaryKey().references('push_jobs.id').onDelete('cascade'),
      )
      .addColumn('fanned_out_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('push_fanouts_fanned_out_idx')
      .on('push_fanouts')
      .column('fanned_out_at')
      .execute();
    await db.schema
      .createIndex('push_jobs_recipient_notification_idx')
      .on('push_jobs')
      .columns(['recipient_id', 'notification_id'])
      .execute();

    await db.schema
      .createTable('push_deliveries')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('job_id', 'uuid', (c) => c.notNull())
      // A device removed (rejected token, revoked session) takes its pending deliveries along.
      .addColumn('device_id', 'uuid', (c) =>
        c.notNull().references('push_devices.id').onDelete('cascade'),
      )
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      // Due time; while a worker sends, its lease (claimed rows are pushed past the send).
      .addColumn('next_attempt_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addUniqueConstraint('push_deliveries_job_device_key', ['job_id', 'device_id'])
      .execute();
    await db.schema
      .createIndex('push_deliveries_due_idx')
      .on('push_deliveries')
      .column('next_attempt_at')
      .execute();
    await db.schema
      .createIndex('push_deliveries_device_idx')
      .on('push_deliveries')
      .column('device_id')
      .execute();

    await db.schema
      .createTable('push_dead_letters')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('job_id', 'uuid', (c) => c.notNull())
      .addColumn('notification_id', 'uuid', (c) => c.notNull())
      .addColumn('recipient_id', 'uuid', (c) => c.notNull())
      // No foreign key: the dead letter outlives the device, for the operator to read.
      .addColumn('device_id', 'uuid', (c) => c.notNull())
      .addColumn('platform', 'smallint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('last_error', 'text', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('dead_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('push_dead_letters_recipient_idx')
      .on('push_dead_letters')
      .column('recipient_id')
      .execute();
  },
};
