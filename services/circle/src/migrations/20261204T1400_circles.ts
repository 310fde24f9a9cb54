import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Circles, their members and the circle audit log, plus the circle service's projections of the
 * user profiles it shows (user.profile_updated) and of blocks (user.blocked / unblocked), both
 * applied by version.
 */
export const createCircles: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('circles')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('owner_id', 'uuid', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('avatar_media_id', 'uuid')
      .addColumn('avatar_url', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('join_rule', 'smallint', (c) => c.notNull())
      .addColumn('member_cap', 'integer', (c) => c.notNull())
      .addColumn('discoverable', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rules', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('rules_version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(1))
      // CircleModerationState: 1 NONE, 2 HIDDEN, 3 REMOVED.
      .addColumn('moderation_state', 'smallint', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
      // Most recent activity (a join, a change): ListMyCircles orders by it.
      .addColumn('active_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('deleted_at', sql`timestamptz(3)`)
      .addColumn('purge_at', sql`timestamptz(3)`)
      .addCheckConstraint('circles_member_cap', sql`member_cap between 2 and 500`)
      .execute();
    await db.schema
      .createTable('members')
      .addColumn('circle_id', 'uuid', (c) =>
        c.notNull().references('circles.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      // CircleRole: 1 OWNER, 2 ADMIN, 3 MEMBER.
      .addColumn('role', 'smallint', (c) => c.notNull())
      .addColumn('joined_via', 'smallint', (c) => c.notNull())
      .addColumn('joined_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('responder', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('primary_contact', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('quiet_hours_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('quiet_start_minute', 'integer')
      .addColumn('quiet_end_minute', 'integer')
      .addColumn('quiet_time_zone', 'text')
      .addPrimaryKeyConstraint('members_pkey', ['circle_id', 'user_id'])
      .execute();
    await db.schema
      .createIndex('members_user_idx')
      .on('members')
      .columns(['user_id', 'circle_id'])
      .execute();
    // Exactly one OWNER per circle, whatever runs concurrently.
    await db.schema
      .createIndex('members_one_owner')
      .on('members')
      .column('circle_id')
      .unique()
      .where(sql.ref('role'), '=', 1)
      .execute();
    // The membership aggregate's version: it outlives a leave, so a rejoin is always newer.
    await db.schema
      .createTable('membership_versions')
      .addColumn('circle_id', 'uuid', (c) =>
        c.notNull().references('circles.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('membership_versions_pkey', ['circle_id', 'user_id'])
      .execute();
    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('circle_id', 'uuid', (c) =>
        c.notNull().references('circles.id').onDelete('cascade'),
      )
      // AuditAction.
      .addColumn('action', 'smallint', (c) => c.notNull())
      .addColumn('actor_id', 'uuid')
      .addColumn('target_id', 'uuid')
      // The action's own fields (roles, reason, changed fields, ids), as AuditEntry names them.
      .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('audit_log_circle_idx')
      .on('audit_log')
      .expression(sql`circle_id, id desc`)
      .execute();
    await db.schema
      .createTable('users')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('avatar_url', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('locked', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('version', 'bigint', (c) => c.notNull())
      .execute();
    // Blocks between users (user.blocked / user.unblocked by version): a row outlives the
    // unblock (active false) so an old replayed user.blocked cannot bring it back.
    await db.schema
      .createTable('blocks')
      .addColumn('blocker_id', 'uuid', (c) => c.notNull())
      .addColumn('blocked_id', 'uuid', (c) => c.notNull())
      .addColumn('active', 'boolean', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('blocks_pkey', ['blocker_id', 'blocked_id'])
      .execute();
    await db.schema
      .createIndex('blocks_blocked_idx')
      .on('blocks')
      .columns(['blocked_id', 'blocker_id'])
      .where(sql.ref('active'), '=', true)
      .execute();
  },
};
