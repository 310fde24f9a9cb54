import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { withTables } from '@kith/db';
import { InvalidArgumentError } from '@kith/errors';
import {
  DailyUserStatsSchema,
  GetStatsResponseSchema,
} from '@kith/gen/kith/user/v1/user_admin_pb.js';
import type {
  GetStatsRequest,
  GetStatsResponse,
  UserAdminService,
} from '@kith/gen/kith/user/v1/user_admin_pb.js';
import type { UserApp } from '../app.js';
import { DAY_MS, dayOf, startOfDay } from './days.js';
import { accountsAt, activePerDay, dailyCounters, distinctActive } from './stats-store.js';
import type { StatsDb, StatsMetric } from './stats-store.js';

/** The longest window (the proto's `user.stats_window_max`). */
export const MAX_WINDOW_MS = 366 * DAY_MS;

/**
 * The UTC days a window touches: since's day to the day of its last instant (until is
 * exclusive). Every figure is counted per UTC day, so a window that starts or ends inside a day
 * counts that whole day: the same days `days` lists.
 */
export function windowDays(request: GetStatsRequest): { first: number; last: number } {
  if (!request.since || !request.until) {
    throw new InvalidArgumentError([
      ...(request.since ? [] : [{ field: 'since', message: 'value is required' }]),
      ...(request.until ? [] : [{ field: 'until', message: 'value is required' }]),
    ]);
  }
  const since = timestampDate(request.since).getTime();
  const until = timestampDate(request.until).getTime();
  if (!(since < until)) {
    throw new InvalidArgumentError([{ field: 'until', message: 'since must be before until' }]);
  }
  if (until - since > MAX_WINDOW_MS) {
    throw new InvalidArgumentError([
      { field: 'until', message: 'the window may span at most 366 days' },
    ]);
  }
  return { first: dayOf(since), last: dayOf(until - 1) };
}

/**
 * GetStats: the counters of the window's days, the accounts existing at its end, and distinct
 * actives. "until's UTC day" (DAU, and the 7 and 30 days WAU and MAU end with) is the window's
 * last day, the one its last instant falls in. A read of about a dozen rows per day and one
 * index range of stats_active_days per figure.
 */
export async function getStats(app: UserApp, request: GetStatsRequest): Promise<GetStatsResponse> {
  const { first, last } = windowDays(request);
  const db = withTables<StatsDb>(app.database.db);
  const [counters, totalUsers, active, dau, wau, mau, perDay] = await Promise.all([
    dailyCounters(db, first, last),
    accountsAt(db, last),
    distinctActive(db, first, last),
    distinctActive(db, last, last),
    distinctActive(db, last - 6, last),
    distinctActive(db, last - 29, last),
    activePerDay(db, first, last),
  ]);
  const totals = new Map<string, bigint>();
  const daily = new Map<string, bigint>();
  for (const row of counters) {
    const n = BigInt(row.n);
    totals.set(row.metric, (totals.get(row.metric) ?? 0n) + n);
    daily.set(`${row.metric}:${row.day}`, n);
  }
  const total = (metric: StatsMetric) => totals.get(metric) ?? 0n;
  const on = (metric: StatsMetric, day: number) => daily.get(`${metric}:${day}`) ?? 0n;
  const activeOn = new Map(perDay.map((row) => [row.day, BigInt(row.n)]));
  const days = [];
  for (let day = first; day <= last; day++) {
    days.push(
      create(DailyUserStatsSchema, {
        day: timestampFromDate(startOfDay(day)),
        signUps: on('sign_ups', day),
        activeUsers: activeOn.get(day) ?? 0n,
        follows: on('follows', day),
      }),
    );
  }
  return create(GetStatsResponseSchema, {
    signUps: total('sign_ups'),
    verifiedSignUps: total('verified_sign_ups'),
    totalUsers: BigInt(totalUsers),
    activeUsers: BigInt(active),
    dailyActiveUsers: BigInt(dau),
    weeklyActiveUsers: BigInt(wau),
    monthlyActiveUsers: BigInt(mau),
    follows: total('follows'),
    unfollows: total('unfollows'),
    followRequests: total('follow_requests'),
    blocks: total('blocks'),
    mutes: total('mutes'),
    deletionsRequested: total('deletions_requested'),
    accountsErased: total('accounts_erased'),
    dataExports: total('data_exports'),
    days,
  });
}

/** UserAdminService's handlers (ADMIN only: module.ts requiredRoles, before they run). */
export function statsHandlers(app: UserApp): Partial<ServiceImpl<typeof UserAdminService>> {
  return { getStats: (request) => getStats(app, request) };
}
