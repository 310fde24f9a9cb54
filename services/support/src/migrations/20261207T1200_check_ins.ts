import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Check-in timers (StartCheckIn, RequestCheckIn): the timer is the row itself, so it survives
 * restarts; `timer_at` is when the runner acts next (the reminder at due_at, the miss at
 * grace_until), null once the check-in ended.
 */
export const createCheckIns: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('check_ins')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('status', 'smallint', (c) => c.notNull())
      .addColumn('due_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('circle_ids', sql`uuid[]`, (c) => c.notNull())
      .addColumn('destination', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('word_hash', 'text')
      .addColumn('word_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('extension_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('requested_by', 'uuid')
      .addColumn('incident_id', 'uuid')
      .addColumn('reminded_at', sql`timestamptz(3)`)
      .addColumn('grace_until', sql`timestamptz(3)`)
      .addColumn('timer_at', sql`timestamptz(3)`)
      .addColumn('completed_at', sql`timestamptz(3)`)
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    // ListCheckIns, newest first.
    await db.schema
      .createIndex('check_ins_user_idx')
      .on('check_ins')
      .columns(['user_id', 'created_at', 'id'])
      .execute();
    // One open "are you OK?" per asker and user: a repeated RequestCheckIn returns it.
    await db.schema
      .createIndex('check_ins_active_request')
      .on('check_ins')
      .columns(['user_id', 'requested_by'])
      .unique()
      .where(sql.ref('status'), '=', 1)
      .where(sql.ref('requested_by'), 'is not', null)
      .execute();
    // The runner's due timers.
    await db.schema
      .createIndex('check_ins_timer')
      .on('check_ins')
      .column('timer_at')
      .where(sql.ref('timer_at'), 'is not', null)
      .execute();
    // Retention: ended check-ins go 30 days after they end.
    await db.schema
      .createIndex('check_ins_completed')
      .on('check_ins')
      .column('completed_at')
      .where(sql.ref('completed_at'), 'is not', null)
      .execute();
  },
};
