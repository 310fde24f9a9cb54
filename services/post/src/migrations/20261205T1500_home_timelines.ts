import type { Migration } from '@kith/db';
import type { Kysely } from 'kysely';

/**
 * Home timelines: an author with more followers than the fan-out threshold is "wide reach",
 * their posts are not pushed to followers' cached lists but merged in when a list is read.
 */
export const addHomeTimelines: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('users')
      .addColumn('wide_reach', 'boolean', (c) => c.notNull().defaultTo(false))
      .execute();
  },
};
