import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * CircleAdminService.GetStats: a purge takes the circle with its members and audit log, so
 * `circle_purges` keeps the one thing GetStats counts of it, when it happened (circles_purged).
 * No circle id, owner or name: a purged circle is forgotten.
 */
export const createCirclePurges: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('circle_purges')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('purged_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('circle_purges_purged_at_idx')
      .on('circle_purges')
      .column('purged_at')
      .execute();
  },
};
