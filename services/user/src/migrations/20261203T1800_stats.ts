import type { Migration } from '@kith/db';
import type { Kysely } from 'kysely';

/**
 * UserAdminService.GetStats' tables, fed by the stats consumers (stats/consumers.ts). Days are
 * UTC day numbers (days since 1970-01-01), so no date parsing or time zone is involved.
 * - stats_daily: anonymous counters, one row per metric and day (about a dozen rows a day);
 * - stats_active_days: who was active on which day (distinct DAU/WAU/MAU), pruned after
 *   STATS_ACTIVE_RETENTION_DAYS by the stats daemon, erased with the user;
 * - stats_accounts: the registration day of accounts not yet verified or erased, so a later
 *   auth.email_verified counts as a verified sign-up of the right day; erased with the user;
 * - stats_open_mutes: mutes in force, so a changed mute (user.muted again) is not a new one.
 */
export const createStats: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('stats_daily')
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('n', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('stats_daily_pkey', ['metric', 'day'])
      .execute();
    await db.schema
      .createTable('stats_active_days')
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addPrimaryKeyConstraint('stats_active_days_pkey', ['day', 'user_id'])
      .execute();
    await db.schema
      .createIndex('stats_active_days_user_idx')
      .on('stats_active_days')
      .column('user_id')
      .execute();
    await db.schema
      .createTable('stats_accounts')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('registered_day', 'integer', (c) => c.notNull())
      .addColumn('verified', 'boolean', (c) => c.notNull().defaultTo(false))
      .execute();
    await db.schema
      .createTable('stats_open_mutes')
      .addColumn('muter_id', 'uuid', (c) => c.notNull())
      .addColumn('muted_id', 'uuid', (c) => c.notNull())
      .addPrimaryKeyConstraint('stats_open_mutes_pkey', ['muter_id', 'muted_id'])
      .execute();
    await db.schema
      .createIndex('stats_open_mutes_muted_idx')
      .on('stats_open_mutes')
      .column('muted_id')
      .execute();
  },
};
