import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Profiles v1: the writable fields (avatar, links, locked, hidden follow lists) and the
 * per-profile version; what hides a profile (a staff disabling from auth's events, moderation's
 * account enforcement by its version, the deletion request time next to the deletion mark);
 * and what user search reads. Search is portable, without pg_trgm (PGlite is created without
 * extensions): the trigrams of the username and of the display name are computed in the store
 * and kept in `text[]` columns under built-in GIN array indexes; matching is array overlap.
 */
export const profilesV1: Migration = {
  async up(db: Kysely<unknown>, { schema }) {
    await db.schema
      .alterTable('profiles')
      .addColumn('avatar_media_id', 'uuid')
      .addColumn('avatar_url', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('links', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('locked', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('hide_follow_lists', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(1))
      .addColumn('deletion_requested_at', sql`timestamptz(3)`)
      .addColumn('disabled_at', sql`timestamptz(3)`)
      .addColumn('moderation_version', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('moderation_limited', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('moderation_suspended', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('moderation_suspended_until', sql`timestamptz(3)`)
      .addColumn('moderation_banned', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('username_trigrams', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('name_trigrams', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .execute();
    // GetProfile by username, case-insensitively, and the username prefix of SearchUsers.
    await db.schema
      .createIndex('profiles_username_lower_idx')
      .on('profiles')
      .expression(sql`lower(username) text_pattern_ops`)
      .execute();
    await db.schema
      .createIndex('profiles_display_name_lower_idx')
      .on('profiles')
      .expression(sql`lower(display_name) text_pattern_ops`)
      .execute();
    await db.schema
      .createIndex('profiles_username_trigrams_idx')
      .on('profiles')
      .using('gin')
      .column('username_trigrams')
      .execute();
    await db.schema
      .createIndex('profiles_name_trigrams_idx')
      .on('profiles')
      .using('gin')
      .column('name_trigrams')
      .execute();
    // Every profile has its settings row from now on (the consumer creates it with the
    // profile); profiles created before this migration get the defaults.
    await sql`insert into ${sql.id(schema, 'settings')} (user_id, locale)
      select user_id, locale from ${sql.id(schema, 'profiles')}
      on conflict (user_id) do nothing`.execute(db);
  },
};
