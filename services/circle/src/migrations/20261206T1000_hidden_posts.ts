import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Delegated moderation of posts (HidePost): `hidden_posts`, one row per post hidden in a
 * circle while the hide stands, and `post_hide_versions`, the version of each hide aggregate
 * (circle.post_hidden / post_unhidden), which outlives an unhide so a new hide is always newer
 * than the unhide before it, as membership versions outlive a leave. The author and who hid it
 * are kept for ListHiddenPosts and erasure (`hidden_by` null once that account is erased).
 */
export const createHiddenPosts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('hidden_posts')
      .addColumn('circle_id', 'uuid', (c) =>
        c.notNull().references('circles.id').onDelete('cascade'),
      )
      .addColumn('post_id', 'uuid', (c) => c.notNull())
      .addColumn('author_id', 'uuid', (c) => c.notNull())
      // kith.circle.v1.HideReason.
      .addColumn('reason', 'smallint', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('hidden_by', 'uuid')
      .addColumn('hidden_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addPrimaryKeyConstraint('hidden_posts_pkey', ['circle_id', 'post_id'])
      .execute();
    // ListHiddenPosts: newest hide first.
    await db.schema
      .createIndex('hidden_posts_circle_idx')
      .on('hidden_posts')
      .expression(sql`circle_id, hidden_at desc, post_id desc`)
      .execute();
    // Erasure finds a user's rows by these.
    await db.schema
      .createIndex('hidden_posts_author_idx')
      .on('hidden_posts')
      .column('author_id')
      .execute();
    await db.schema
      .createIndex('hidden_posts_hidden_by_idx')
      .on('hidden_posts')
      .column('hidden_by')
      .execute();
    await db.schema
      .createTable('post_hide_versions')
      .addColumn('circle_id', 'uuid', (c) =>
        c.notNull().references('circles.id').onDelete('cascade'),
      )
      .addColumn('post_id', 'uuid', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('post_hide_versions_pkey', ['circle_id', 'post_id'])
      .execute();
  },
};
