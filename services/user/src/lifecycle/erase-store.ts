import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Trx } from '@kith/db';
import type { UserDatabase } from '../db/schema.js';
import { noteCountsChanged } from '../graph/count-changes.js';

/**
 * How one table of the user schema forgets a user: the columns that hold a user id (a row
 * goes when any of them is the user), or the saga's own state, deleted only when the erasure
 * saga is finished.
 */
export interface TableErasure<Row> {
  columns: readonly (keyof Row & string)[];
  saga?: boolean;
}

/**
 * Every table of `UserDatabase`, and how it is erased. The mapped type makes this a compile
 * error the day an area adds a table to `UserDatabase` without saying how it forgets a user;
 * `erasure.test.ts` also checks the live schema (every table with a user-id-like column). The
 * order is the order of the deletes: follows first, while their counts can still be adjusted.
 */
export const ERASURE_PLAN: { [T in keyof UserDatabase]: TableErasure<UserDatabase[T]> } = {
  follows: { columns: ['follower_id', 'followee_id'] },
  follow_requests: { columns: ['requester_id', 'target_id'] },
  follow_counts: { columns: ['user_id'] },
  blocks: { columns: ['blocker_id', 'blocked_id'] },
  mutes: { columns: ['muter_id', 'muted_id'] },
  // The edges' event versions: nobody follows, blocks or mutes an erased user again.
  edge_versions: { columns: ['from_id', 'to_id'] },
  // The user's devices (their pending deliveries go with them, by foreign key), then the
  // pushes queued for the user (their fan-out marks go with them) and their dead letters.
  push_devices: { columns: ['user_id'] },
  push_deliveries: { columns: [] },
  push_jobs: { columns: ['recipient_id'] },
  push_fanouts: { columns: [] },
  push_dead_letters: { columns: ['recipient_id'] },
  // Notifications to the user, and those the user caused in others' inboxes.
  notifications: { columns: ['recipient_id', 'actor_id'] },
  notification_preferences: { columns: ['user_id'] },
  circle_quiet_hours: { columns: ['user_id'] },
  // Mail has an address, not a user id: `eraseQueuedMail` deletes what went to the user's
  // address, so it must run while `contacts` still knows that address.
  mail_outbox: { columns: [] },
  contacts: { columns: ['user_id'] },
  settings: { columns: ['user_id'] },
  profiles: { columns: ['user_id'] },
  data_export_parts: { columns: ['user_id'] },
  data_exports: { columns: ['user_id'] },
  // GetStats: who was active when, accounts awaiting verification, mutes in force; the daily
  // counters are anonymous (no user id).
  stats_active_days: { columns: ['user_id'] },
  stats_accounts: { columns: ['user_id'] },
  stats_open_mutes: { columns: ['muter_id', 'muted_id'] },
  stats_daily: { columns: [] },
  // Anonymous by design: no user id to erase by (the migration keeps only the reason and a day).
  deletion_feedback: { columns: [] },
  account_deletions: { columns: ['user_id'], saga: true },
  erasure_acks: { columns: ['user_id'], saga: true },
};

/**
 * Deletes the user's follows both ways, first taking each one off the other side's count
 * (the followee's followers, the follower's following). The rows are locked first, so an
 * unfollow racing with the erasure waits and then finds nothing to remove or to count.
 */
export async function eraseFollows(db: Trx<UserDatabase>, userId: string): Promise<number> {
  const edges = await db
    .selectFrom('follows')
    .select(['follower_id', 'followee_id'])
    .where((eb) => eb.or([eb('follower_id', '=', userId), eb('followee_id', '=', userId)]))
    .forUpdate()
    .execute();
  const followees = edges.filter((e) => e.follower_id === userId).map((e) => e.followee_id);
  const followers = edges.filter((e) => e.followee_id === userId).map((e) => e.follower_id);
  if (followees.length > 0) {
    await db
      .updateTable('follow_counts')
      .set((eb) => ({ followers_count: eb('followers_count', '-', 1) }))
      .where('user_id', 'in', followees)
      .where('followers_count', '>', 0)
      .execute();
  }
  if (followers.length > 0) {
    await db
      .updateTable('follow_counts')
      .set((eb) => ({ following_count: eb('following_count', '-', 1) }))
      .where('user_id', 'in', followers)
      .where('following_count', '>', 0)
      .execute();
  }
  const gone = await db
    .deleteFrom('follows')
    .where((eb) => eb.or([eb('follower_id', '=', userId), eb('followee_id', '=', userId)]))
    .executeTakeFirst();
  noteCountsChanged(db, [...followees, ...followers]);
  return Number(gone.numDeletedRows);
}

/** Deletes the notification mail queued or sent to the user's address (as `contacts` has it). */
export async function eraseQueuedMail(db: Kysely<UserDatabase>, userId: string): Promise<number> {
  const gone = await db
    .deleteFrom('mail_outbox')
    .where('to', 'in', db.selectFrom('contacts').select('email').where('user_id', '=', userId))
    .executeTakeFirst();
  return Number(gone.numDeletedRows);
}

/**
 * Deletes every row of `table` where one of `columns` is the user; how many went. Raw SQL is
 * not bound to the service schema, hence `schema`.
 */
export async function eraseRows(
  db: Kysely<UserDatabase>,
  schema: string,
  table: keyof UserDatabase & string,
  columns: readonly string[],
  userId: string,
): Promise<number> {
  if (columns.length === 0) return 0;
  const matches = sql.join(
    columns.map((column) => sql`${sql.ref(column)} = ${userId}`),
    sql` or `,
  );
  const result = await sql`delete from ${sql.table(`${schema}.${table}`)} where ${matches}`.execute(
    db,
  );
  return Number(result.numAffectedRows ?? 0n);
}

/** Rows left for the user in `table` (0 once erased): what the erasure test and the saga check. */
export async function countRows(
  db: Kysely<UserDatabase>,
  schema: string,
  table: string,
  columns: readonly string[],
  userId: string,
): Promise<number> {
  if (columns.length === 0) return 0;
  const matches = sql.join(
    columns.map((column) => sql`${sql.ref(column)} = ${userId}`),
    sql` or `,
  );
  const result = await sql<{
    n: string;
  }>`select count(*) as n from ${sql.table(`${schema}.${table}`)} where ${matches}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * The user schema's tables and their uuid columns, as the database has them (not as the
 * code believes): what the erasure coverage test compares ERASURE_PLAN against.
 */
export async function uuidColumnsOfSchema(
  db: Kysely<UserDatabase>,
  schema: string,
): Promise<{ table: string; column: string }[]> {
  const result = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = ${schema} and data_type = 'uuid'
    order by table_name, column_name`.execute(db);
  return result.rows.map((row) => ({ table: row.table_name, column: row.column_name }));
}

/** Every table of the schema, as the database has it. */
export async function tablesOfSchema(db: Kysely<UserDatabase>, schema: string): Promise<string[]> {
  const result = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = ${schema} and table_type = 'BASE TABLE'
    order by table_name`.execute(db);
  return result.rows.map((row) => row.table_name);
}
