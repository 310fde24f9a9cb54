import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Media kept as report evidence: one row per media item of a kept snapshot, written in the
 * snapshot's transaction, held in the post service by the evidence daemon
 * (PostInternalService.AttachMedia, MEDIA_ATTACHMENT_KIND_REPORT_EVIDENCE) and released when
 * the subject has been closed for the retention (evidence/evidence.ts).
 */
export const createEvidenceMedia: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('evidence_media')
      .addColumn('snapshot_id', 'uuid', (c) => c.notNull())
      .addColumn('media_id', 'uuid', (c) => c.notNull())
      .addColumn('owner_id', 'uuid', (c) => c.notNull())
      .addColumn('subject_kind', 'smallint', (c) => c.notNull())
      .addColumn('subject_id', 'uuid', (c) => c.notNull())
      // 0 to hold, 1 held, 2 nothing to hold (gone before the hold), 3 released.
      .addColumn('state', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('held_at', sql`timestamptz(3)`)
      .addColumn('released_at', sql`timestamptz(3)`)
      .addPrimaryKeyConstraint('evidence_media_pk', ['snapshot_id', 'media_id'])
      .execute();
    await db.schema
      .createIndex('evidence_media_due')
      .on('evidence_media')
      .column('next_attempt_at')
      .where(sql.ref('state'), '=', 0)
      .execute();
    await db.schema
      .createIndex('evidence_media_held')
      .on('evidence_media')
      .columns(['subject_kind', 'subject_id'])
      .where(sql.ref('state'), '=', 1)
      .execute();
  },
};
