import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Media (images first, ADR 0019): one row per upload, from the upload URL to READY or FAILED,
 * with the stored objects' keys; the holds other services place on media with AttachMedia;
 * an index to find the posts carrying a media item (GetMedia's visibility, the purge).
 */
export const createMedia: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('media')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('owner_id', 'uuid', (c) => c.notNull())
      .addColumn('kind', 'smallint', (c) => c.notNull())
      .addColumn('status', 'smallint', (c) => c.notNull())
      .addColumn('declared_content_type', 'text', (c) => c.notNull())
      .addColumn('declared_size', 'integer', (c) => c.notNull())
      .addColumn('declared_sha256', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('upload_key', 'text', (c) => c.notNull())
      .addColumn('upload_expires_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('size_bytes', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('width', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('height', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('object_key', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('thumbnail_key', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('blurhash', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('sha256', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('alt_text', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('focus_x', 'real')
      .addColumn('focus_y', 'real')
      .addColumn('failure_reason', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('released_at', sql`timestamptz(3)`)
      .addCheckConstraint('media_status', sql`status between 1 and 4`)
      .execute();
    await db.schema.createIndex('media_owner_idx').on('media').column('owner_id').execute();

    await db.schema
      .createTable('media_holds')
      .addColumn('media_id', 'uuid', (c) => c.notNull().references('media.id').onDelete('cascade'))
      .addColumn('kind', 'smallint', (c) => c.notNull())
      .addColumn('ref_id', 'uuid', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addPrimaryKeyConstraint('media_holds_pkey', ['media_id', 'kind', 'ref_id'])
      .execute();

    await db.schema
      .createIndex('posts_media_idx')
      .on('posts')
      .using('gin')
      .column('media_ids')
      .execute();
  },
};
