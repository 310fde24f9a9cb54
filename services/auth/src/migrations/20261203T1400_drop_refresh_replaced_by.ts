import type { Migration } from '@kith/db';

/** `refresh_tokens.replaced_by` was never written: rotation marks `used_at` and issues a new row. */
export const dropRefreshReplacedBy: Migration = {
  async up(db) {
    await db.schema.alterTable('refresh_tokens').dropColumn('replaced_by').execute();
  },
};
