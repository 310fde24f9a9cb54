import type { Migration } from '@kith/db';
import type { Kysely } from 'kysely';

/**
 * Moderation's enforcement as support projects it (moderation_events.proto), per incident: the
 * subject's enforcement version and whether a moderator hid or removed it, which withholds the
 * owner's text (message, notes) from the responders.
 */
export const addModeration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('incidents')
      .addColumn('moderation_version', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('moderation_hidden', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('moderation_removed', 'boolean', (c) => c.notNull().defaultTo(false))
      .execute();
  },
};
