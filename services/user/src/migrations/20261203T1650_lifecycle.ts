import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * The state of the two data sagas the user service owns (kith/events/v1/data_events.proto):
 * data exports and the parts every service contributes, pending account deletions and the
 * erasure acknowledgements. Deletion feedback is kept apart, with no user id (it is anonymous).
 */
export const createLifecycle: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('data_exports')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      // kith.user.v1.DataExportStatus numbers.
      .addColumn('status', 'smallint', (c) => c.notNull())
      .addColumn('requested_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('ready_at', sql`timestamptz(3)`)
      .addColumn('expires_at', sql`timestamptz(3)`)
      .addColumn('downloaded_at', sql`timestamptz(3)`)
      .addColumn('failed_at', sql`timestamptz(3)`)
      .addColumn('size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('archive_key', 'text')
      .execute();
    await db.schema
      .createIndex('data_exports_user_idx')
      .on('data_exports')
      .expression(sql`user_id, requested_at desc`)
      .execute();
    // The sweeper's two queues: exports still assembling, and archives waiting to expire.
    await db.schema
      .createIndex('data_exports_open_idx')
      .on('data_exports')
      .columns(['status', 'requested_at'])
      .where(sql<boolean>`status in (1, 2)`)
      .execute();
    await db.schema
      .createTable('data_export_parts')
      .addColumn('data_export_id', 'uuid', (c) =>
        c.notNull().references('data_exports.id').onDelete('cascade'),
      )
      // kith.events.v1.KithService numbers.
      .addColumn('service', 'smallint', (c) => c.notNull())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('object_key', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('received_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addPrimaryKeyConstraint('data_export_parts_pkey', ['data_export_id', 'service'])
      .execute();
    await db.schema
      .createIndex('data_export_parts_user_idx')
      .on('data_export_parts')
      .column('user_id')
      .execute();
    await db.schema
      .createTable('account_deletions')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('requested_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('scheduled_for', sql`timestamptz(3)`, (c) => c.notNull())
      // Set when the saga took the deletion (the grace period is over: no cancelling).
      .addColumn('erasing_since', sql`timestamptz(3)`)
      // Set when user.erased was first published; last_published_at on every re-publication.
      .addColumn('erased_published_at', sql`timestamptz(3)`)
      .addColumn('last_published_at', sql`timestamptz(3)`)
      .addColumn('alerted_at', sql`timestamptz(3)`)
      .execute();
    await db.schema
      .createIndex('account_deletions_due_idx')
      .on('account_deletions')
      .column('scheduled_for')
      .execute();
    await db.schema
      .createTable('erasure_acks')
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('service', 'smallint', (c) => c.notNull())
      .addColumn('acknowledged_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addPrimaryKeyConstraint('erasure_acks_pkey', ['user_id', 'service'])
      .execute();
    await db.schema
      .createTable('deletion_feedback')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('reason', 'text', (c) => c.notNull())
      // Day precision only, so the feedback cannot be matched to a deletion by its time.
      .addColumn('received_on', 'date', (c) => c.notNull())
      .execute();
  },
};
