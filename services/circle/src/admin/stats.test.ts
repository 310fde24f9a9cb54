import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import { CircleAdminService } from '@kith/gen/kith/circle/v1/circle_admin_pb.js';
import type { GetStatsResponse } from '@kith/gen/kith/circle/v1/circle_admin_pb.js';
import { HideReason, JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { waitFor } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { circleClients } from '../circles/internal-clients.js';
import { purgeExpiredCircles } from '../circles/purge.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness, Person } from '../testing/circle-harness.js';

let c: CircleHarness<AuthHarness>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(() => c?.stop());

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;

type Figures = Omit<GetStatsResponse, '$typeName' | '$unknown'>;

const NONE: Figures = {
  totalCircles: 0n,
  totalMemberships: 0n,
  medianCircleSize: 0,
  circlesCreated: 0n,
  circlesDeleted: 0n,
  circlesRestored: 0n,
  circlesPurged: 0n,
  membersJoined: 0n,
  joinedViaInvite: 0n,
  joinedViaInviteLink: 0n,
  joinedViaJoinRequest: 0n,
  membersLeft: 0n,
  membersRemoved: 0n,
  bans: 0n,
  invitesSent: 0n,
  invitesAccepted: 0n,
  invitesDeclined: 0n,
  invitesWithdrawn: 0n,
  invitesExpired: 0n,
  inviteLinksCreated: 0n,
  joinRequestsCreated: 0n,
  joinRequestsApproved: 0n,
  joinRequestsRejected: 0n,
  joinRequestsWithdrawn: 0n,
  joinRequestsExpired: 0n,
  postsHidden: 0n,
};

/** GetStats over [since, until), asked by a staff ADMIN signed in now; every figure. */
async function statsIn(since: Date, until: Date): Promise<Figures> {
  const staff = await seedUser(c.h, { role: 'admin' });
  const admin = createClient(CircleAdminService, c.h.as(staff.accessToken).transport);
  const { $typeName: _, ...figures } = await admin.getStats({
    since: timestampFromDate(since),
    until: timestampFromDate(until),
  });
  return figures;
}

/** The figures of what happened in the window, without the totals at its end. */
async function windowFiguresIn(since: Date, until: Date) {
  const {
    totalCircles: _c,
    totalMemberships: _m,
    medianCircleSize: _s,
    ...counts
  } = await statsIn(since, until);
  return counts;
}
const { totalCircles: _c, totalMemberships: _m, medianCircleSize: _s, ...NO_COUNTS } = NONE;

const at = (time: Date, offsetMs = 0) => {
  c.h.clock.set(new Date(time.getTime() + offsetMs));
};

/**
 * Moves the clock 100 days on, past anything an earlier test left to expire, and purges the
 * circles earlier tests deleted there and then (the purge daemon would, at some point): each
 * test's windows then see its own doings only. The start of the new period, a second later.
 */
async function freshPeriod(): Promise<Date> {
  c.h.clock.advance(100 * DAY);
  await purgeExpiredCircles(c.app, circleClients(c.app));
  c.h.clock.advance(SECOND);
  return c.h.clock.now();
}

async function inviteAccepted(owner: Person, circleId: string, who: Person) {
  const { invite } = await owner.circles.inviteMember({ circleId, userId: who.userId });
  await who.circles.acceptInvite({ inviteId: invite!.inviteId });
}

async function requestApproved(owner: Person, circleId: string, who: Person) {
  const { joinRequest } = await who.circles.requestToJoin({ circleId });
  await owner.circles.approveJoinRequest({ joinRequestId: joinRequest!.joinRequestId });
}

/** Publishes user.erased for `userId` and waits for circle's part of the erasure. */
async function erase(userId: string) {
  await c.publishAs('user', { case: 'userErased', value: { userId } });
  await waitFor(
    async () =>
      (await c.events()).some(
        (p) => p.case === 'dataErasureCompleted' && p.value.userId === userId,
      ),
    { timeoutMs: 15_000, intervalMs: 50, what: 'circle to erase the member' },
  );
}

// First in the file, on an empty circle schema: the totals count every circle there is.
test('totals at until count the circles standing then, not deleted, with the members they had then, and the median size', async () => {
  const t0 = c.h.clock.now();
  const [ana, ben, cat, dan, fred, gus, hal] = [
    await c.person(),
    await c.person(),
    await c.person(),
    await c.person(),
    await c.person(),
    await c.person(),
    await c.person(),
  ];
  const a = await c.circle(ana, { name: 'A' });
  const b = await c.circle(ana, { name: 'B', discoverable: true, joinRule: JoinRule.REQUEST });
  const gone = await c.circle(ana, { name: 'Deleted before until' });
  const back = await c.circle(ana, { name: 'Deleted and restored before until' });
  const later = await c.circle(ana, { name: 'Deleted before until, restored after' });
  at(t0, 1 * SECOND);
  await inviteAccepted(ana, a, ben);
  at(t0, 2 * SECOND);
  const { inviteLink } = await ana.circles.createInviteLink({ circleId: a });
  await cat.circles.joinByLink({ code: inviteLink!.code });
  at(t0, 3 * SECOND);
  await requestApproved(ana, b, dan);
  at(t0, 4 * SECOND);
  await ana.circles.deleteCircle({ circleId: back });
  at(t0, 5 * SECOND);
  await ana.circles.restoreCircle({ circleId: back });
  at(t0, 6 * SECOND);
  await ana.circles.deleteCircle({ circleId: gone });
  await ana.circles.deleteCircle({ circleId: later });
  at(t0, 7 * SECOND);
  // Banned ahead, never a member: not counted as one.
  await ana.circles.banMember({ circleId: a, userId: gus.userId });

  // From until on: nothing here changes the totals at until.
  const until = new Date(t0.getTime() + 10 * SECOND);
  at(until);
  await ben.circles.leave({ circleId: a });
  await hal.circles.joinByLink({ code: inviteLink!.code });
  await c.circle(ana, { name: 'Created at until' });
  at(until, 1 * SECOND);
  await ana.circles.removeMember({ circleId: a, userId: cat.userId });
  at(until, 2 * SECOND);
  await ana.circles.deleteCircle({ circleId: b });
  at(until, 3 * SECOND);
  await fred.circles.joinByLink({ code: inviteLink!.code });
  at(until, 4 * SECOND);
  await ana.circles.restoreCircle({ circleId: later });
  at(until, 5 * SECOND);

  // A (ana, ben, cat), B (ana, dan) and the restored one (ana): sizes 1, 2, 3.
  assert.deepEqual(await statsIn(t0, until), {
    ...NONE,
    totalCircles: 3n,
    totalMemberships: 6n,
    medianCircleSize: 2,
    circlesCreated: 5n,
    circlesDeleted: 3n,
    circlesRestored: 1n,
    membersJoined: 3n,
    joinedViaInvite: 1n,
    joinedViaInviteLink: 1n,
    joinedViaJoinRequest: 1n,
    bans: 1n,
    invitesSent: 1n,
    invitesAccepted: 1n,
    inviteLinksCreated: 1n,
    joinRequestsCreated: 1n,
    joinRequestsApproved: 1n,
  });
  // Now: A (ana, hal, fred), the restored one, the one created at until and the one restored
  // after until (ana alone in each); B is deleted.
  const now = c.h.clock.now();
  assert.deepEqual(await statsIn(until, now), {
    ...NONE,
    totalCircles: 4n,
    totalMemberships: 6n,
    medianCircleSize: 1,
    circlesCreated: 1n,
    circlesDeleted: 1n,
    circlesRestored: 1n,
    membersJoined: 2n,
    joinedViaInviteLink: 2n,
    membersLeft: 1n,
    membersRemoved: 1n,
  });
  // Just after B's deletion: A (ana and hal: ben left at until, cat was removed), the restored
  // one and the one created at until (ana alone in each).
  const afterDeletion = await statsIn(until, new Date(until.getTime() + 2 * SECOND + 1));
  assert.equal(afterDeletion.totalCircles, 3n);
  assert.equal(afterDeletion.totalMemberships, 4n);
  assert.equal(afterDeletion.medianCircleSize, 1);
});

/**
 * One of everything GetStats counts in a window, at the clock's time, in two circles of
 * `owner`'s: what it adds to every window that contains that instant is ONE_ROUND.
 */
async function oneRound(): Promise<void> {
  const owner = await c.person();
  const people: Person[] = [];
  for (let i = 0; i < 10; i++) people.push(await c.person());
  const [p1, p2, p3, p4, p5, p6, p7, p8, p9, p10] = people as [
    Person,
    Person,
    Person,
    Person,
    Person,
    Person,
    Person,
    Person,
    Person,
    Person,
  ];
  const circleId = await c.circle(owner, { discoverable: true, joinRule: JoinRule.REQUEST });
  const { inviteLink } = await owner.circles.createInviteLink({ circleId });
  await p1.circles.joinByLink({ code: inviteLink!.code });
  await inviteAccepted(owner, circleId, p2);
  const declined = await owner.circles.inviteMember({ circleId, userId: p3.userId });
  await p3.circles.declineInvite({ inviteId: declined.invite!.inviteId });
  const revoked = await owner.circles.inviteMember({ circleId, userId: p4.userId });
  await owner.circles.revokeInvite({ inviteId: revoked.invite!.inviteId });
  await requestApproved(owner, circleId, p5);
  const rejected = await p6.circles.requestToJoin({ circleId });
  await owner.circles.rejectJoinRequest({
    joinRequestId: rejected.joinRequest!.joinRequestId,
  });
  const withdrawn = await p7.circles.requestToJoin({ circleId });
  await p7.circles.withdrawJoinRequest({ joinRequestId: withdrawn.joinRequest!.joinRequestId });
  await p1.circles.leave({ circleId });
  await owner.circles.removeMember({ circleId, userId: p2.userId });
  await owner.circles.banMember({ circleId, userId: p5.userId });
  await owner.circles.banMember({ circleId, userId: p8.userId });

  // Hidden, hidden again the same way (nothing), re-hidden with another reason (not counted),
  // unhidden, hidden again (counted): two hides.
  const postId = c.post(owner, [circleId]);
  await owner.circles.hidePost({ circleId, postId, reason: HideReason.SPAM });
  await owner.circles.hidePost({ circleId, postId, reason: HideReason.SPAM });
  await owner.circles.hidePost({ circleId, postId, reason: HideReason.OFF_TOPIC });
  await owner.circles.unhidePost({ circleId, postId });
  await owner.circles.hidePost({ circleId, postId, reason: HideReason.SPAM });

  // Deleting a circle ends its pending invite and join request (EXPIRED).
  const other = await c.circle(owner, { discoverable: true, joinRule: JoinRule.REQUEST });
  await owner.circles.inviteMember({ circleId: other, userId: p9.userId });
  await p10.circles.requestToJoin({ circleId: other });
  await owner.circles.deleteCircle({ circleId: other });
  await owner.circles.restoreCircle({ circleId: other });
}

const ONE_ROUND = {
  ...NO_COUNTS,
  circlesCreated: 2n,
  circlesDeleted: 1n,
  circlesRestored: 1n,
  membersJoined: 3n,
  joinedViaInvite: 1n,
  joinedViaInviteLink: 1n,
  joinedViaJoinRequest: 1n,
  membersLeft: 1n,
  membersRemoved: 1n,
  bans: 2n,
  invitesSent: 4n,
  invitesAccepted: 1n,
  invitesDeclined: 1n,
  invitesWithdrawn: 1n,
  invitesExpired: 1n,
  inviteLinksCreated: 1n,
  joinRequestsCreated: 4n,
  joinRequestsApproved: 1n,
  joinRequestsRejected: 1n,
  joinRequestsWithdrawn: 1n,
  joinRequestsExpired: 1n,
  postsHidden: 2n,
};

const times = (n: bigint, figures: typeof ONE_ROUND) =>
  Object.fromEntries(
    Object.entries(figures).map(([k, v]) => [k, typeof v === 'bigint' ? v * n : v]),
  ) as typeof ONE_ROUND;

test('the window counts what happened from since, inclusive, to until, exclusive: joins by way, leaves, removals, bans, invites and join requests by end state, links, hides', async () => {
  const start = await freshPeriod();
  const since = new Date(start.getTime() + 10 * SECOND);
  const until = new Date(since.getTime() + 10 * SECOND);
  for (const instant of [since.getTime() - 1, since.getTime(), until.getTime() - 1]) {
    at(new Date(instant));
    await oneRound();
  }
  at(until);
  await oneRound();
  at(until, SECOND);

  assert.deepEqual(await windowFiguresIn(since, until), times(2n, ONE_ROUND));
  assert.deepEqual(await windowFiguresIn(new Date(since.getTime() - 1), since), ONE_ROUND);
  assert.deepEqual(await windowFiguresIn(until, c.h.clock.now()), ONE_ROUND);
  assert.deepEqual(
    await windowFiguresIn(new Date(since.getTime() + 1), new Date(until.getTime() - 1)),
    NO_COUNTS,
  );
});

test('an invite expires at its expires_at, counted then whether or not anyone has looked since, and never before it has', async () => {
  const t = await freshPeriod();
  const ana = await c.person();
  const [ben, cat] = [await c.person(), await c.person()];
  const circleId = await c.circle(ana);
  await ana.circles.inviteMember({ circleId, userId: ben.userId });
  await ana.circles.inviteMember({ circleId, userId: cat.userId });
  const expiry = new Date(t.getTime() + 14 * DAY);
  const afterExpiry = new Date(expiry.getTime() + DAY);

  // Not expired yet, though the window reaches past its expiry.
  assert.equal((await windowFiguresIn(expiry, afterExpiry)).invitesExpired, 0n);

  // A day later ana invites cat again: the expired invite is closed now, a new one sent.
  at(afterExpiry);
  const ana2 = await c.session(ana);
  await ana2.circles.inviteMember({ circleId, userId: cat.userId });
  at(afterExpiry, SECOND);

  assert.deepEqual(await windowFiguresIn(t, expiry), {
    ...NO_COUNTS,
    circlesCreated: 1n,
    invitesSent: 2n,
  });
  assert.deepEqual(await windowFiguresIn(expiry, new Date(expiry.getTime() + 1)), {
    ...NO_COUNTS,
    invitesExpired: 2n,
  });
  assert.deepEqual(await windowFiguresIn(new Date(expiry.getTime() + 1), c.h.clock.now()), {
    ...NO_COUNTS,
    invitesSent: 1n,
  });
});

test('an erased member leaves; a purge counts when it happens, and what the purged circle did goes with it', async () => {
  const t = await freshPeriod();
  const ana = await c.person();
  const ben = await c.person();
  const kept = await c.circle(ana);
  const { inviteLink } = await ana.circles.createInviteLink({ circleId: kept });
  await ben.circles.joinByLink({ code: inviteLink!.code });
  const deleted = await c.circle(ana);
  at(t, SECOND);
  await erase(ben.userId);
  at(t, 2 * SECOND);
  await ana.circles.deleteCircle({ circleId: deleted });
  const window = () => windowFiguresIn(t, new Date(t.getTime() + 3 * SECOND));

  assert.deepEqual(await window(), {
    ...NO_COUNTS,
    circlesCreated: 2n,
    circlesDeleted: 1n,
    inviteLinksCreated: 1n,
    membersJoined: 1n,
    joinedViaInviteLink: 1n,
    membersLeft: 1n,
  });

  // The daemon purges the deleted circle when its 30 days are up.
  const purgedAt = new Date(t.getTime() + 2 * SECOND + 30 * DAY);
  at(purgedAt);
  await purgeExpiredCircles(c.app, circleClients(c.app));
  at(purgedAt, SECOND);
  assert.deepEqual(await windowFiguresIn(purgedAt, new Date(purgedAt.getTime() + 1)), {
    ...NO_COUNTS,
    circlesPurged: 1n,
  });
  assert.deepEqual(await window(), {
    ...NO_COUNTS,
    circlesCreated: 1n,
    inviteLinksCreated: 1n,
    membersJoined: 1n,
    joinedViaInviteLink: 1n,
    membersLeft: 1n,
  });

  // Erasing ana, alone in the other circle now, purges it at once.
  const erasedAt = new Date(purgedAt.getTime() + 2 * SECOND);
  at(erasedAt);
  await erase(ana.userId);
  at(erasedAt, SECOND);
  assert.deepEqual(await windowFiguresIn(erasedAt, new Date(erasedAt.getTime() + 1)), {
    ...NO_COUNTS,
    circlesPurged: 1n,
  });
  assert.deepEqual(await window(), NO_COUNTS);
});
