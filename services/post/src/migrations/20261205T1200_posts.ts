import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/** The text search configuration for a post's language tag (BCP-47 prefix), else 'simple'. */
const SEARCH_CONFIG = sql.raw(`case lower(split_part(language, '-', 1))
  when 'en' then 'english'::regconfig when 'pt' then 'portuguese'::regconfig
  when 'es' then 'spanish'::regconfig when 'fr' then 'french'::regconfig
  when 'de' then 'german'::regconfig when 'it' then 'italian'::regconfig
  when 'nl' then 'dutch'::regconfig when 'sv' then 'swedish'::regconfig
  when 'ru' then 'russian'::regconfig else 'simple'::regconfig end`);

/**
 * Posts (replies are posts with a parent), their revisions, likes, bookmarks and reposts; the
 * projections post reads visibility from: profiles and settings, follows, blocks, mutes (edge
 * versions in applied_edge_versions), circles, circle memberships and circle hides.
 */
export const createPosts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('posts')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('author_id', 'uuid', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('content_warning', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('sensitive', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('language', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('media_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('audience', 'smallint', (c) => c.notNull())
      .addColumn('circle_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('audience_owner_id', 'uuid', (c) => c.notNull())
      .addColumn('granted_user_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('mentions', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('hashtags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('reply_to_post_id', 'uuid')
      .addColumn('root_post_id', 'uuid', (c) => c.notNull())
      .addColumn('quote_post_id', 'uuid')
      .addColumn('depth', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('reply_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('like_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('repost_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('quote_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(1))
      .addColumn('moderation_state', 'smallint', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('edited_at', sql`timestamptz(3)`)
      .addColumn('expires_at', sql`timestamptz(3)`)
      .addColumn('deleted_at', sql`timestamptz(3)`)
      .addColumn('deletion_reason', 'smallint')
      .addColumn('search', sql`tsvector`, (c) =>
        // The language's stems, and the words as written: a query in any language finds both.
        c
          .generatedAlwaysAs(
            sql`to_tsvector(${SEARCH_CONFIG}, content_warning || ' ' || text) || to_tsvector('simple'::regconfig, content_warning || ' ' || text)`,
          )
          .stored(),
      )
      .addCheckConstraint('posts_audience', sql`audience between 1 and 4`)
      .execute();
    // A user's posts, newest first (user timeline, home timeline merge).
    await db.schema
      .createIndex('posts_author_idx')
      .on('posts')
      .columns(['author_id', 'created_at desc', 'id desc'])
      .where(sql.ref('deleted_at'), 'is', null)
      .execute();
    // Replies of a post, oldest first.
    await db.schema
      .createIndex('posts_reply_idx')
      .on('posts')
      .columns(['reply_to_post_id', 'created_at', 'id'])
      .where(sql.ref('reply_to_post_id'), 'is not', null)
      .execute();
    await db.schema.createIndex('posts_root_idx').on('posts').columns(['root_post_id']).execute();
    await db.schema
      .createIndex('posts_circles_idx')
      .on('posts')
      .using('gin')
      .column('circle_ids')
      .execute();
    await db.schema
      .createIndex('posts_hashtags_idx')
      .on('posts')
      .using('gin')
      .column('hashtags')
      .execute();
    // Public posts by time: hashtag timelines and trends.
    await db.schema
      .createIndex('posts_public_time_idx')
      .on('posts')
      .columns(['created_at desc', 'id desc'])
      .where(sql<boolean>`audience = 1 and deleted_at is null`)
      .execute();
    await db.schema
      .createIndex('posts_search_idx')
      .on('posts')
      .using('gin')
      .column('search')
      .execute();
    await db.schema
      .createIndex('posts_expiry_idx')
      .on('posts')
      .column('expires_at')
      .where(sql<boolean>`expires_at is not null and deleted_at is null`)
      .execute();

    await db.schema
      .createTable('post_revisions')
      .addColumn('post_id', 'uuid', (c) => c.notNull().references('posts.id').onDelete('cascade'))
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('content_warning', 'text', (c) => c.notNull())
      .addColumn('sensitive', 'boolean', (c) => c.notNull())
      .addColumn('language', 'text', (c) => c.notNull())
      .addColumn('media_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('audience', 'smallint', (c) => c.notNull())
      .addColumn('circle_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addPrimaryKeyConstraint('post_revisions_pkey', ['post_id', 'revision'])
      .execute();

    await db.schema
      .createTable('likes')
      .addColumn('post_id', 'uuid', (c) => c.notNull().references('posts.id').onDelete('cascade'))
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addPrimaryKeyConstraint('likes_pkey', ['post_id', 'user_id'])
      .execute();
    await db.schema
      .createIndex('likes_post_time_idx')
      .on('likes')
      .columns(['post_id', 'created_at desc', 'user_id desc'])
      .execute();
    await db.schema.createIndex('likes_user_idx').on('likes').columns(['user_id']).execute();

    await db.schema
      .createTable('bookmarks')
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('post_id', 'uuid', (c) => c.notNull().references('posts.id').onDelete('cascade'))
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addPrimaryKeyConstraint('bookmarks_pkey', ['user_id', 'post_id'])
      .execute();
    await db.schema
      .createIndex('bookmarks_user_time_idx')
      .on('bookmarks')
      .columns(['user_id', 'created_at desc', 'post_id desc'])
      .execute();

    await db.schema
      .createTable('reposts')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('post_id', 'uuid', (c) => c.notNull().references('posts.id').onDelete('cascade'))
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addUniqueConstraint('reposts_post_user', ['post_id', 'user_id'])
      .execute();
    await db.schema
      .createIndex('reposts_user_time_idx')
      .on('reposts')
      .columns(['user_id', 'created_at desc', 'id desc'])
      .execute();

    await db.schema
      .createTable('users')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('display_name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('avatar_url', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('locked', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('indexable', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('mention_policy', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('profile_version', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('settings_version', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('users_username_idx')
      .on('users')
      .expression(sql`lower(username)`)
      .where(sql.ref('username'), '<>', '')
      .execute();

    await db.schema
      .createTable('follows')
      .addColumn('follower_id', 'uuid', (c) => c.notNull())
      .addColumn('followee_id', 'uuid', (c) => c.notNull())
      .addPrimaryKeyConstraint('follows_pkey', ['follower_id', 'followee_id'])
      .execute();
    await db.schema
      .createIndex('follows_followee_idx')
      .on('follows')
      .columns(['followee_id', 'follower_id'])
      .execute();
    await db.schema
      .createTable('blocks')
      .addColumn('blocker_id', 'uuid', (c) => c.notNull())
      .addColumn('blocked_id', 'uuid', (c) => c.notNull())
      .addPrimaryKeyConstraint('blocks_pkey', ['blocker_id', 'blocked_id'])
      .execute();
    await db.schema
      .createIndex('blocks_blocked_idx')
      .on('blocks')
      .columns(['blocked_id', 'blocker_id'])
      .execute();
    await db.schema
      .createTable('mutes')
      .addColumn('muter_id', 'uuid', (c) => c.notNull())
      .addColumn('muted_id', 'uuid', (c) => c.notNull())
      .addColumn('expires_at', sql`timestamptz(3)`)
      .addPrimaryKeyConstraint('mutes_pkey', ['muter_id', 'muted_id'])
      .execute();

    await db.schema
      .createTable('circles')
      .addColumn('circle_id', 'uuid', (c) => c.primaryKey())
      .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('version', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('circle_members')
      .addColumn('circle_id', 'uuid', (c) => c.notNull())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('role', 'smallint', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('circle_members_pkey', ['circle_id', 'user_id'])
      .execute();
    await db.schema
      .createIndex('circle_members_user_idx')
      .on('circle_members')
      .columns(['user_id', 'circle_id'])
      .where(sql.ref('role'), '>', 0)
      .execute();
    await db.schema
      .createTable('circle_hides')
      .addColumn('circle_id', 'uuid', (c) => c.notNull())
      .addColumn('post_id', 'uuid', (c) => c.notNull())
      .addColumn('active', 'boolean', (c) => c.notNull())
      .addColumn('reason', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('hidden_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('circle_hides_pkey', ['circle_id', 'post_id'])
      .execute();
  },
};
