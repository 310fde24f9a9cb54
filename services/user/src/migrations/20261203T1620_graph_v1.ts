import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * The graph's v1 additions: per-edge aggregate versions that outlive the edge (a follow, block or
 * mute re-created later continues its count, as user_events.proto asks), and the indexes the
 * block and mute lists page on (newest first).
 */
export const createGraphV1: Migration = {
  async up(db: Kysely<unknown>, { schema }) {
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
    // The profile flags Follow and the follower lists obey. The profiles area owns them (its
    // migration 20261203T1610_profiles_v1 adds them alongside avatar and links); `if not
    // exists` keeps this a no-op there and lets the graph run on its own until both land.
    const profiles = sql.id(schema, 'profiles');
    await sql`alter table ${profiles} add column if not exists locked boolean not null default false`.execute(
      db,
    );
    await sql`alter table ${profiles} add column if not exists hide_follow_lists boolean not null default false`.execute(
      db,
    );
  },
};
