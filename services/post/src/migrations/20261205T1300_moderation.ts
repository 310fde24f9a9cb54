import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Moderation's enforcement as post projects it (moderation_events.proto): per post, the
 * subject's enforcement version and whether moderation (not its author) removed it; per author,
 * the account restrictions that hide or limit all their posts.
 */
export const addModeration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('posts')
      .addColumn('moderation_version', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable('users')
      .addColumn('limited', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('suspended', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('suspended_until', sql`timestamptz(3)`)
      .addColumn('banned', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('enforcement_version', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
