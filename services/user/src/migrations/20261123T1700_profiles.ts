import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Profiles start from the auth service's `auth.user_registered` event: the user service keeps
 * its own copy of the username (a projection), never reading the auth schema.
 */
export const createProfiles: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('profiles')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('bio', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('locale', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('deleted_at', sql`timestamptz(3)`)
      .execute();
    await db.schema
      .createIndex('profiles_username_key')
      .on('profiles')
      .column('username')
      .unique()
      .execute();
  },
};
