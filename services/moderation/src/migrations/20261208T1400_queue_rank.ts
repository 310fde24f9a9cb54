import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * The queue's order as one ascending key, `(queue_rank, first_reported_at, id)` with queue_rank
 * = 100 − priority, per status: a page after a cursor is then one row comparison the index
 * seeks to, and each status is an ordered index range that a merge of them keeps in order
 * (with `priority desc, first_reported_at asc` the mixed directions made every page read and
 * sort the whole queue).
 */
export const addQueueRank: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('subjects')
      .addColumn('queue_rank', 'smallint', (c) => c.notNull().defaultTo(100))
      .execute();
    await db
      .updateTable('subjects' as never)
      .set({ queue_rank: sql`100 - priority` } as never)
      .execute();
    await db.schema.dropIndex('subjects_queue').execute();
    await db.schema
      .createIndex('subjects_queue')
      .on('subjects')
      .columns(['status', 'queue_rank', 'first_reported_at', 'id'])
      .where(sql.ref('first_reported_at'), 'is not', null)
      .execute();
  },
};
