import type { Migration } from '@kith/db';
import type { Kysely } from 'kysely';

/**
 * Platform moderation of circles (moderation.content_actioned / action_reversed): the subject's
 * enforcement version, so events apply only when newer, and whether the circle's deletion was
 * moderation's removal (a reversal restores only that, never an OWNER's own deletion).
 */
export const addCircleModeration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('circles')
      .addColumn('moderation_version', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('removed_by_moderation', 'boolean', (c) => c.notNull().defaultTo(false))
      .execute();
  },
};
