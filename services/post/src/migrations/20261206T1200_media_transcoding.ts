import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * GIF, video and audio (ADR 0022): their duration; the lease a transcoding worker holds on a
 * PROCESSING item (another worker takes it over once the lease has lapsed, e.g. after a crash)
 * and how many times one was taken; the queue's index.
 */
export const addMediaTranscoding: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('media')
      .addColumn('duration_ms', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('leased_until', sql`timestamptz(3)`)
      .addColumn('attempts', 'smallint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('media_transcode_queue_idx')
      .on('media')
      .column('created_at')
      .where(sql<boolean>`status = 2 and kind <> 1`)
      .execute();
  },
};
