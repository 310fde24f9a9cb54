import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/** Blocks and mutes: every area reads them to hide users from each other (graph/visibility-store.ts). */
export const createBlocksAndMutes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('blocks')
      .addColumn('blocker_id', 'uuid', (c) => c.notNull())
      .addColumn('blocked_id', 'uuid', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('blocks_pkey', ['blocker_id', 'blocked_id'])
      .execute();
    await db.schema
      .createIndex('blocks_blocked_idx')
      .on('blocks')
      .columns(['blocked_id', 'blocker_id'])
      .execute();
    await db.schema
      .createTable('mutes')
      .addColumn('muter_id', 'uuid', (c) => c.notNull())
      .addColumn('muted_id', 'uuid', (c) => c.notNull())
      .addColumn('include_notifications', 'boolean', (c) => c.notNull())
      .addColumn('expires_at', sql`timestamptz(3)`)
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('mutes_pkey', ['muter_id', 'muted_id'])
      .execute();
    await db.schema
      .createIndex('mutes_expiry_idx')
      .on('mutes')
      .column('expires_at')
      .where(sql.ref('expires_at'), 'is not', null)
      .execute();
  },
};
