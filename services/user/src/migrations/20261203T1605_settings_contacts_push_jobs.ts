import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Tables more than one area reads: settings (profiles writes them; notifications reads the
 * time zone), the account's e-mail address from auth's events (notifications mails it), the
 * deletion mark that hides a profile (lifecycle writes it; every read honours it) and the push
 * jobs notifications hands to the push worker.
 */
export const createSharedUserTables: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('settings')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('locale', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('discoverable', 'boolean', (c) => c.notNull().defaultTo(true))
      // kith.user.v1.DefaultAudience and MentionPolicy numbers; never 0 (UNSPECIFIED).
      .addColumn('default_audience', 'smallint', (c) => c.notNull().defaultTo(1))
      .addColumn('show_sensitive_media', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('mention_policy', 'smallint', (c) => c.notNull().defaultTo(1))
      .addColumn('content_languages', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('indexable', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(1))
      .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .createTable('contacts')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .alterTable('profiles')
      .addColumn('deletion_scheduled_for', sql`timestamptz(3)`)
      .execute();
    await db.schema
      .createTable('push_jobs')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('notification_id', 'uuid', (c) => c.notNull())
      .addColumn('recipient_id', 'uuid', (c) => c.notNull())
      .addColumn('notification_type', 'smallint', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      // Extra data the app needs to open the right screen (subject ids); never secrets.
      .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('critical', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('time_sensitive', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .createIndex('push_jobs_created_idx')
      .on('push_jobs')
      .column('created_at')
      .execute();
  },
};
