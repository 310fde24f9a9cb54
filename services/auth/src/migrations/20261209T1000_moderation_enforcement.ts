import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Moderation's enforcement of each account as auth applies it (moderation_events.proto): the
 * account's enforcement version (0 = never actioned) and the restrictions in force after it.
 * A suspension or a ban refuses every way to sign in or use a credential while it lasts;
 * `limited` is kept for completeness and changes nothing in auth.
 */
export const addModerationEnforcement: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('accounts')
      .addColumn('moderation_version', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('moderation_limited', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('moderation_suspended', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('moderation_suspended_until', sql`timestamptz(3)`)
      .addColumn('moderation_banned', 'boolean', (c) => c.notNull().defaultTo(false))
      .execute();
  },
};
