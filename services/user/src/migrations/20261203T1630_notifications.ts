import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Notifications (the inbox, grouped by group_key), the delivery preferences per user and the
 * quiet hours each circle member set for that circle's help requests (from circle events).
 */
export const createNotifications: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('notifications')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('recipient_id', 'uuid', (c) => c.notNull())
      // kith.user.v1.NotificationType number; never 0.
      .addColumn('type', 'smallint', (c) => c.notNull())
      .addColumn('group_key', 'text', (c) => c.notNull())
      // When the group this row belongs to started (the 12 h window runs from here).
      .addColumn('group_started_at', sql`timestamptz(3)`, (c) => c.notNull())
      // Null for system notifications (moderation, security, export…).
      .addColumn('actor_id', 'uuid')
      // NotificationSubject's oneof case ('' when unset) and its id.
      .addColumn('subject_kind', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('subject_id', 'uuid')
      .addColumn('within_circle_id', 'uuid')
      .addColumn('preview', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('filtered', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('read', 'boolean', (c) => c.notNull().defaultTo(false))
      // The bus event it came from: with recipient and type, what makes a redelivery a no-op.
      .addColumn('source_event_id', 'uuid', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addUniqueConstraint('notifications_source_unique', [
        'source_event_id',
        'recipient_id',
        'type',
      ])
      .execute();
    // The inbox, newest first, per recipient and inbox (main or filtered).
    await db.schema
      .createIndex('notifications_inbox_idx')
      .on('notifications')
      .expression(sql`recipient_id, filtered, created_at desc, id desc`)
      .execute();
    await db.schema
      .createIndex('notifications_group_idx')
      .on('notifications')
      .columns(['recipient_id', 'group_key'])
      .execute();
    // Finding the open group of a subject (likes, reposts, follows).
    await db.schema
      .createIndex('notifications_subject_idx')
      .on('notifications')
      .columns(['recipient_id', 'type', 'subject_id', 'group_started_at'])
      .execute();
    // What kind of alert an incident raised (support.escalated does not say).
    await db.schema
      .createIndex('notifications_subject_id_idx')
      .on('notifications')
      .columns(['subject_id', 'type'])
      .execute();
    await db.schema
      .createIndex('notifications_unread_idx')
      .on('notifications')
      .columns(['recipient_id', 'filtered'])
      .where(sql.ref('read'), '=', false)
      .execute();

    await db.schema
      .createTable('notification_preferences')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      // { "<type number>": { "in_app": bool, "push": bool, "email": bool } }; missing = default.
      .addColumn('per_type', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      // kith.user.v1.FilterAction numbers; never 0.
      .addColumn('from_not_following', 'smallint', (c) => c.notNull().defaultTo(1))
      .addColumn('from_not_followers', 'smallint', (c) => c.notNull().defaultTo(1))
      .addColumn('from_new_accounts', 'smallint', (c) => c.notNull().defaultTo(2))
      .addColumn('from_limited_accounts', 'smallint', (c) => c.notNull().defaultTo(2))
      .addColumn('quiet_start_minute', 'integer')
      .addColumn('quiet_end_minute', 'integer')
      .addColumn('quiet_time_zone', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('quiet_hours_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
      .execute();

    await db.schema
      .createTable('circle_quiet_hours')
      .addColumn('circle_id', 'uuid', (c) => c.notNull())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('start_minute', 'integer', (c) => c.notNull())
      .addColumn('end_minute', 'integer', (c) => c.notNull())
      .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('enabled', 'boolean', (c) => c.notNull())
      // circle.safety_role_changed's membership version: older events are dropped.
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('circle_quiet_hours_pkey', ['user_id', 'circle_id'])
      .execute();
  },
};
