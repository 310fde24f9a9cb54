import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampDate, timestampFromDate, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import { UserAdminService } from '@kith/gen/kith/user/v1/user_admin_pb.js';
import type { GetStatsResponse } from '@kith/gen/kith/user/v1/user_admin_pb.js';
import { recordEvent } from '@kith/runtime';
import type { EventPayload } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import { uuidv7 } from 'uuidv7';
// By path: the user package does not depend on the auth service; its harness issues tokens.
import { codeOf, seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startGraphHarness } from '../graph/testing/graph-harness.js';
import type { GraphHarness } from '../graph/testing/graph-harness.js';
import { DAY_MS, dayOf, startOfDay } from './days.js';
import { STATS_ACTIVE_RETENTION_DAYS, pruneOldActivity } from './parts.js';

let g: GraphHarness<AuthHarness>;
beforeAll(async () => {
  g = await startGraphHarness({ start: startAuthHarness, seed: (h) => seedUser(h) });
});
afterAll(() => g?.stop());

/** A day no test window touches: where the settle markers are counted. */
const MARKER_DAY = dayOf(new Date('1990-01-01T00:00:00Z'));

/** Records an event as if `source`'s service had published it at `at` (default: now). */
async function publish(source: 'auth' | 'user', payload: EventPayload, at?: Date) {
  await g.app.database.transaction((trx) =>
    recordEvent(trx, {
      source,
      actor: { service: source },
      payload,
      occurredAt: at ?? g.h.clock.now(),
    }),
  );
}

/** GetStats as a freshly signed-in admin (tokens live 10 minutes of the manual clock). */
async function stats(firstDay: number, lastDay: number): Promise<GetStatsResponse> {
  const staff = await seedUser(g.h, { role: 'admin' });
  return createClient(UserAdminService, g.h.as(staff.accessToken).transport).getStats({
    since: timestampFromDate(startOfDay(firstDay)),
    until: timestampFromDate(startOfDay(lastDay + 1)),
  });
}

/**
 * Waits until everything published so far on `source` was counted: a marker goes last (on a
 * day of its own), and the one consumer per source takes events in order.
 */
async function settle(source: 'auth' | 'user') {
  const before = await stats(MARKER_DAY, MARKER_DAY);
  const at = startOfDay(MARKER_DAY);
  if (source === 'auth') {
    await publish('auth', markerLogin(), at);
  } else {
    await publish(
      'user',
      {
        case: 'userFollowRequested',
        value: { requesterId: uuidv7(), targetId: uuidv7(), version: 1n },
      },
      at,
    );
  }
  await waitFor(
    async () => {
      const now = await stats(MARKER_DAY, MARKER_DAY);
      return source === 'auth'
        ? now.activeUsers > before.activeUsers
        : now.followRequests > before.followRequests;
    },
    { what: `the ${source} marker` },
  );
}

function markerLogin(): EventPayload {
  return { case: 'authUserActive', value: { userId: uuidv7(), sessionId: uuidv7() } };
}

/** Moves the clock to a new stretch of days no earlier test touched; returns today's number. */
function freshDays(): number {
  g.h.clock.advance(200 * DAY_MS);
  return dayOf(g.h.clock.now());
}

function register(userId: string): EventPayload {
  return {
    case: 'authUserRegistered',
    value: {
      userId,
      username: `s${userId.replaceAll('-', '').slice(-20)}`,
      email: '',
      locale: 'en',
    },
  };
}

const active = (userId: string): EventPayload => ({
  case: 'authUserActive',
  value: { userId, sessionId: uuidv7() },
});
const login = (userId: string): EventPayload => ({
  case: 'authLoginSucceeded',
  value: { userId, sessionId: uuidv7(), method: 1, mfaMethod: 0 },
});

test('sign-ups count on their day, verified sign-ups once verified, and only verified accounts are users', async () => {
  const day = freshDays();
  const totalBefore = (await stats(day - 1, day - 1)).totalUsers;
  const [ann, bob, cat] = [uuidv7(), uuidv7(), uuidv7()];
  for (const id of [ann, bob, cat]) await publish('auth', register(id));
  g.h.clock.advance(DAY_MS);
  await publish('auth', { case: 'authEmailVerified', value: { userId: ann } });
  // A second verification (a changed address) is not a second verified sign-up.
  await publish('auth', { case: 'authEmailVerified', value: { userId: ann } });
  await publish('auth', { case: 'authRegistrationExpired', value: { userId: cat } });
  await settle('auth');

  const both = await stats(day, day + 1);
  assert.equal(both.signUps, 3n);
  assert.equal(both.verifiedSignUps, 1n);
  assert.equal(both.totalUsers, totalBefore + 1n);
  assert.deepEqual(
    both.days.map((d) => [timestampDate(d.day!).getTime(), d.signUps]),
    [
      [startOfDay(day).getTime(), 3n],
      [startOfDay(day + 1).getTime(), 0n],
    ],
  );
  // Verified sign-ups belong to the day of the sign-up; the account exists from its verification.
  const first = await stats(day, day);
  assert.equal(first.verifiedSignUps, 1n);
  assert.equal(first.totalUsers, totalBefore);
  const second = await stats(day + 1, day + 1);
  assert.equal(second.signUps, 0n);
  assert.equal(second.verifiedSignUps, 0n);
  assert.equal(second.totalUsers, totalBefore + 1n);
});

test('active users are distinct per UTC day, and DAU, WAU and MAU end with the window’s last day', async () => {
  const d0 = freshDays();
  const [u1, u2, u3, u4] = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];
  const on = async (offset: number, events: EventPayload[]) => {
    for (const event of events)
      await publish('auth', event, new Date(startOfDay(d0 + offset).getTime() + 3_600_000));
  };
  // u1 logs in and refreshes on day 0 (one active user-day), u2 refreshes twice.
  await on(0, [login(u1), active(u1), active(u2), active(u2)]);
  await on(5, [active(u3)]);
  await on(10, [active(u4)]);
  await on(40, [login(u1)]);
  await settle('auth');

  const window = await stats(d0, d0 + 10);
  assert.equal(window.activeUsers, 4n);
  assert.equal(window.dailyActiveUsers, 1n); // u4 on day 10
  assert.equal(window.weeklyActiveUsers, 2n); // days 4..10: u3, u4
  assert.equal(window.monthlyActiveUsers, 4n); // days -19..10
  assert.equal(window.days.length, 11);
  assert.deepEqual(
    window.days.map((d) => d.activeUsers),
    [2n, 0n, 0n, 0n, 0n, 1n, 0n, 0n, 0n, 0n, 1n],
  );

  const later = await stats(d0 + 40, d0 + 40);
  assert.equal(later.activeUsers, 1n);
  assert.equal(later.dailyActiveUsers, 1n);
  assert.equal(later.weeklyActiveUsers, 1n);
  assert.equal(later.monthlyActiveUsers, 1n); // days 11..40: u4 (day 10) is out
  const monthEnd = await stats(d0 + 39, d0 + 39);
  assert.equal(monthEnd.dailyActiveUsers, 0n);
  assert.equal(monthEnd.monthlyActiveUsers, 1n); // days 10..39: u4 only
});

test('follows, unfollows, follow requests, blocks and mutes are counted from the real RPCs', async () => {
  const day = freshDays();
  const [ann, bob, cat] = [await g.member(), await g.member(), await g.member({ locked: true })];
  await ann.user.follow({ userId: bob.userId });
  await ann.user.unfollow({ userId: bob.userId });
  await ann.user.follow({ userId: bob.userId });
  await ann.user.follow({ userId: cat.userId }); // a request: cat is locked
  await ann.user.mute({ userId: bob.userId });
  // Changing a mute is not a new mute; muting again after an unmute is.
  await ann.user.mute({ userId: bob.userId, duration: { seconds: 3600n } });
  await ann.user.unmute({ userId: bob.userId });
  await ann.user.mute({ userId: bob.userId });
  await bob.user.block({ userId: cat.userId });
  await bob.user.block({ userId: ann.userId }); // ends ann's follow of bob: an unfollow
  await settle('user');

  const figures = await stats(day, day);
  assert.deepEqual(
    {
      follows: figures.follows,
      unfollows: figures.unfollows,
      followRequests: figures.followRequests,
      blocks: figures.blocks,
      mutes: figures.mutes,
    },
    { follows: 2n, unfollows: 2n, followRequests: 1n, blocks: 2n, mutes: 2n },
  );
  assert.equal(figures.days[0]!.follows, 2n);
  const nextDay = await stats(day + 1, day + 1);
  assert.equal(nextDay.follows + nextDay.blocks + nextDay.mutes, 0n);
});

test('deletions, erasures and data exports are counted once, and erased users leave total_users', async () => {
  const day = freshDays();
  const user = uuidv7();
  await publish('auth', register(user));
  await publish('auth', { case: 'authEmailVerified', value: { userId: user } });
  await settle('auth');
  const withUser = (await stats(day, day)).totalUsers;
  await publish('user', {
    case: 'userExportRequested',
    value: { userId: user, dataExportId: uuidv7() },
  });
  await publish('user', { case: 'userErasureRequested', value: { userId: user } });
  g.h.clock.advance(DAY_MS);
  const erasedAt = g.h.clock.now();
  // The erasure saga's row, as lifecycle's publishErased leaves it while services still ack.
  await g.app.database.db
    .insertInto('account_deletions')
    .values({
      user_id: user,
      requested_at: new Date(erasedAt.getTime() - 30 * DAY_MS),
      scheduled_for: erasedAt,
      erasing_since: erasedAt,
      erased_published_at: erasedAt,
      last_published_at: erasedAt,
      alerted_at: null,
    })
    .execute();
  await publish('user', { case: 'userErased', value: { userId: user } });
  // A day on, a service has not acknowledged: the saga publishes user.erased again.
  g.h.clock.advance(DAY_MS);
  await publish('user', { case: 'userErased', value: { userId: user } });
  await settle('user');

  const first = await stats(day, day);
  assert.equal(first.dataExports, 1n);
  assert.equal(first.deletionsRequested, 1n);
  assert.equal(first.accountsErased, 0n);
  assert.equal(first.totalUsers, withUser);
  const second = await stats(day + 1, day + 1);
  assert.equal(second.accountsErased, 1n);
  assert.equal(second.totalUsers, withUser - 1n);
  // The re-publication is the same erasure, not another one.
  const third = await stats(day + 2, day + 2);
  assert.equal(third.accountsErased, 0n);
  assert.equal(third.totalUsers, withUser - 1n);
  // The sign-up itself stays counted: the counters hold no user id.
  const all = await stats(day, day + 2);
  assert.equal(all.signUps, 1n);
  assert.equal(all.accountsErased, 1n);
  const left = await g.app.database.db
    .selectFrom('stats_accounts')
    .select('user_id')
    .where('user_id', '=', user)
    .execute();
  assert.deepEqual(left, []);
});

test('the window must be ordered, at most 366 days, and lists every UTC day it touches', async () => {
  const staff = await seedUser(g.h, { role: 'admin' });
  const admin = createClient(UserAdminService, g.h.as(staff.accessToken).transport);
  const noon = startOfDay(dayOf(g.h.clock.now())).getTime() + DAY_MS / 2;
  const window = (since: number, until: number) =>
    admin.getStats({ since: timestampFromMs(since), until: timestampFromMs(until) });
  assert.equal(await codeOf(admin.getStats({})), Code.InvalidArgument);
  assert.equal(
    await codeOf(admin.getStats({ since: timestampFromMs(noon) })),
    Code.InvalidArgument,
  );
  assert.equal(await codeOf(window(noon, noon)), Code.InvalidArgument);
  assert.equal(await codeOf(window(noon, noon - 1)), Code.InvalidArgument);
  assert.equal(await codeOf(window(noon, noon + 366 * DAY_MS + 1)), Code.InvalidArgument);

  // Noon to noon touches two days; a full 366 days from noon touches 367.
  const day = await window(noon, noon + DAY_MS);
  assert.deepEqual(
    day.days.map((d) => timestampDate(d.day!).getTime()),
    [noon - DAY_MS / 2, noon + DAY_MS / 2],
  );
  const year = await window(noon, noon + 366 * DAY_MS);
  assert.equal(year.days.length, 367);
  const days = year.days.map((d) => timestampDate(d.day!).getTime());
  assert.ok(
    days.every((at, i) => i === 0 || at - days[i - 1]! === DAY_MS),
    'oldest first, daily',
  );
  // Midnight to midnight touches exactly its days.
  const midnight = noon - DAY_MS / 2;
  assert.equal((await window(midnight, midnight + 366 * DAY_MS)).days.length, 366);
});

test('only admins read the stats', async () => {
  const user = await seedUser(g.h);
  const now = g.h.clock.now().getTime();
  const call = createClient(UserAdminService, g.h.as(user.accessToken).transport).getStats({
    since: timestampFromMs(now - DAY_MS),
    until: timestampFromMs(now),
  });
  assert.equal(await codeOf(call), Code.PermissionDenied);
});

test('activity older than the retention is pruned; the anonymous counters stay', async () => {
  const day = freshDays();
  const [old, recent] = [uuidv7(), uuidv7()];
  await publish('auth', register(old));
  await publish('auth', active(old));
  g.h.clock.advance((STATS_ACTIVE_RETENTION_DAYS + 1) * DAY_MS);
  await publish('auth', active(recent));
  await settle('auth');
  assert.equal((await stats(day, day)).activeUsers, 1n);

  await pruneOldActivity(g.app);
  const pruned = await stats(day, day);
  assert.equal(pruned.activeUsers, 0n);
  assert.equal(pruned.signUps, 1n);
  const today = dayOf(g.h.clock.now());
  assert.equal((await stats(today, today)).activeUsers, 1n);
});
