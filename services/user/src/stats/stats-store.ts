import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { AccountDeletionTable } from '../lifecycle/lifecycle-store.js';

/** The counters GetStats reads (stats_daily.metric). */
export type StatsMetric =
  | 'sign_ups'
  | 'verified_sign_ups'
  | 'users_verified'
  | 'users_erased'
  | 'follows'
  | 'unfollows'
  | 'follow_requests'
  | 'blocks'
  | 'mutes'
  | 'deletions_requested'
  | 'accounts_erased'
  | 'data_exports';

export interface StatsDailyTable {
  metric: string;
  /** UTC day number: days since 1970-01-01. */
  day: number;
  n: string | number | bigint;
}
export interface StatsActiveDayTable {
  day: number;
  user_id: string;
}
export interface StatsAccountTable {
  user_id: string;
  registered_day: number;
  verified: boolean;
}
export interface StatsOpenMuteTable {
  muter_id: string;
  muted_id: string;
}
export interface StatsDb {
  stats_daily: StatsDailyTable;
  stats_active_days: StatsActiveDayTable;
  stats_accounts: StatsAccountTable;
  stats_open_mutes: StatsOpenMuteTable;
}

/** Adds `by` to a metric's counter of a day. */
export async function bump(
  db: Kysely<StatsDb>,
  metric: StatsMetric,
  day: number,
  by = 1,
): Promise<void> {
  await db
    .insertInto('stats_daily')
    .values({ metric, day, n: by })
    .onConflict((oc) =>
      oc.columns(['metric', 'day']).doUpdateSet({ n: sql`stats_daily.n + excluded.n` }),
    )
    .execute();
}

/** Records that the user was active on the day (once). */
export async function markActive(db: Kysely<StatsDb>, userId: string, day: number): Promise<void> {
  await db
    .insertInto('stats_active_days')
    .values({ user_id: userId, day })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** A new account: whether it was new here (false when already known). */
export async function insertAccount(
  db: Kysely<StatsDb>,
  userId: string,
  registeredDay: number,
): Promise<boolean> {
  const row = await db
    .insertInto('stats_accounts')
    .values({ user_id: userId, registered_day: registeredDay, verified: false })
    .onConflict((oc) => oc.doNothing())
    .returning('user_id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Marks an account verified; its registration day when this is its first verification (undefined
 * when it was verified already, or registered before the stats existed).
 */
export async function markVerified(
  db: Kysely<StatsDb>,
  userId: string,
): Promise<number | undefined> {
  const row = await db
    .updateTable('stats_accounts')
    .set({ verified: true })
    .where('user_id', '=', userId)
    .where('verified', '=', false)
    .returning('registered_day')
    .executeTakeFirst();
  return row?.registered_day;
}

/** Forgets an account (an expired sign-up, or an erased user). */
export async function deleteAccount(db: Kysely<StatsDb>, userId: string): Promise<void> {
  await db.deleteFrom('stats_accounts').where('user_id', '=', userId).execute();
}

/** A mute in force; whether it is new (false for a changed mute). */
export async function openMute(
  db: Kysely<StatsDb>,
  muterId: string,
  mutedId: string,
): Promise<boolean> {
  const row = await db
    .insertInto('stats_open_mutes')
    .values({ muter_id: muterId, muted_id: mutedId })
    .onConflict((oc) => oc.doNothing())
    .returning('muter_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** A mute ended (unmuted or expired). */
export async function closeMute(
  db: Kysely<StatsDb>,
  muterId: string,
  mutedId: string,
): Promise<void> {
  await db
    .deleteFrom('stats_open_mutes')
    .where('muter_id', '=', muterId)
    .where('muted_id', '=', mutedId)
    .execute();
}

/** The counters of the days first..last (inclusive), one row per metric and day with a count. */
export async function dailyCounters(
  db: Kysely<StatsDb>,
  first: number,
  last: number,
): Promise<{ metric: string; day: number; n: string | number | bigint }[]> {
  return db
    .selectFrom('stats_daily')
    .select(['metric', 'day', 'n'])
    .where('day', '>=', first)
    .where('day', '<=', last)
    .execute();
}

/** Users verified minus users erased up to and including `last`: the accounts that exist then. */
export async function accountsAt(db: Kysely<StatsDb>, last: number): Promise<number> {
  const row = await db
    .selectFrom('stats_daily')
    .select(
      sql<string>`coalesce(sum(case when metric = 'users_verified' then n else -n end), 0)`.as('n'),
    )
    .where('metric', 'in', ['users_verified', 'users_erased'])
    .where('day', '<=', last)
    .executeTakeFirst();
  return Math.max(0, Number(row?.n ?? 0));
}

/** Distinct users active on any day of first..last. */
export async function distinctActive(
  db: Kysely<StatsDb>,
  first: number,
  last: number,
): Promise<number> {
  const row = await db
    .selectFrom('stats_active_days')
    .select(sql<string>`count(distinct user_id)`.as('n'))
    .where('day', '>=', first)
    .where('day', '<=', last)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Active users per day of first..last (days with none are absent). */
export async function activePerDay(
  db: Kysely<StatsDb>,
  first: number,
  last: number,
): Promise<{ day: number; n: string | number | bigint }[]> {
  return db
    .selectFrom('stats_active_days')
    .select(['day', sql<string>`count(*)`.as('n')])
    .where('day', '>=', first)
    .where('day', '<=', last)
    .groupBy('day')
    .execute();
}

/** Drops activity older than `before` (a day number); how many rows went. */
export async function pruneActiveDays(db: Kysely<StatsDb>, before: number): Promise<number> {
  const result = await db
    .deleteFrom('stats_active_days')
    .where('day', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * When user.erased was first published for the user (the lifecycle area's saga row), or
 * undefined when no erasure saga runs for them (finished, or never started).
 */
export async function firstErasedPublishedAt(
  db: Kysely<StatsDb & { account_deletions: AccountDeletionTable }>,
  userId: string,
): Promise<Date | undefined> {
  const row = await db
    .selectFrom('account_deletions')
    .select('erased_published_at')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.erased_published_at ?? undefined;
}
