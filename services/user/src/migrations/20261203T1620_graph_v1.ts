import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * The graph's v1 additions: per-edge aggregate versions that outlive the edge (a follow, block or
 * mute re-created later continues its count, as user_events.proto asks), and the indexes the
 * block and mute lists page on (newest first).
 */
export const createGraphV1: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('edge_versions')
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('follow', 'block', 'mute')`))
      .addColumn('from_id', 'uuid', (c) => c.notNull())
      .addColumn('to_id', 'uuid', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('edge_versions_pkey', ['kind', 'from_id', 'to_id'])
      .execute();
    await db.schema
      .createIndex('blocks_blocker_idx')
      .on('blocks')
      .expression(sql`blocker_id, created_at desc, blocked_id desc`)
      .execute();
    await db.schema
      .createIndex('mutes_muter_idx')
      .on('mutes')
      .expression(sql`muter_id, created_at desc, muted_id desc`)
      .execute();
  },
};
