import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * The social graph: follows, follow requests, their counts, blocks and mutes. Every area reads
 * them (graph/relationship-store.ts) to show relationships and hide users from each other.
 */
export const createGraph: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('follows')
      .addColumn('follower_id', 'uuid', (c) => c.notNull())
      .addColumn('followee_id', 'uuid', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('follows_pkey', ['follower_id', 'followee_id'])
      .execute();
    // Lists page newest first: (followee, created_at desc, follower) for followers, and the
    // mirror for following.
    await db.schema
      .createIndex('follows_followee_idx')
      .on('follows')
      .expression(sql`followee_id, created_at desc, follower_id desc`)
      .execute();
    await db.schema
      .createIndex('follows_follower_idx')
      .on('follows')
      .expression(sql`follower_id, created_at desc, followee_id desc`)
      .execute();
    await db.schema
      .createTable('follow_requests')
      .addColumn('requester_id', 'uuid', (c) => c.notNull())
      .addColumn('target_id', 'uuid', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('follow_requests_pkey', ['requester_id', 'target_id'])
      .execute();
    await db.schema
      .createIndex('follow_requests_target_idx')
      .on('follow_requests')
      .columns(['target_id', 'created_at', 'requester_id'])
      .execute();
    await db.schema
      .createTable('follow_counts')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('followers_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('following_count', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
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
