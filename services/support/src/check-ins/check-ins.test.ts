import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { durationFromMs, timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import {
  CheckInStatus,
  IncidentKind,
  IncidentStatus,
  Reach,
} from '@kith/gen/kith/support/v1/types_pb.js';
import { codeOf } from '@kith/testkit';
// By path: the support package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import { authDeps, startSupportHarness } from '../testing/support-harness.js';
import type { Person, SupportHarness } from '../testing/support-harness.js';
import { purgeEndedCheckIns, runCheckInTimers } from './timers.js';

let s: SupportHarness;
beforeAll(async () => {
  s = await startSupportHarness(authDeps(startAuthHarness, (h) => seedUser(h), startSession));
});
afterAll(() => s?.stop());

const SECOND = 1000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** An owner with a circle: one primary contact, two plain members, and a stranger. */
async function world() {
  const owner = await s.person();
  const primary = await s.person();
  const member = await s.person();
  const other = await s.person();
  const stranger = await s.person();
  const circleId = await s.circle([owner, primary, member, other], { primary: [primary] });
  return { owner, primary, member, other, stranger, circleId };
}

const now = () => s.app.clock();
const ms = (t: Timestamp | undefined) => timestampDate(t!).getTime();

/** The owner's check-in as ListCheckIns shows it. */
async function current(owner: Person, checkInId: string) {
  const { checkIns } = await owner.support.listCheckIns({ pageSize: 100 });
  const found = checkIns.find((c) => c.checkInId === checkInId);
  assert.ok(found, 'the owner lists the check-in');
  return found;
}

/** The check-in events recorded for one check-in. */
async function checkInEvents(checkInId: string) {
  return (await s.events()).filter(
    (e) =>
      (e.case === 'supportCheckInReminded' ||
        e.case === 'supportCheckInMissed' ||
        e.case === 'supportCheckInRequested') &&
      e.value.checkInId === checkInId,
  );
}

// First while the test clock still matches the wall clock, which due_at's validation reads.
test('StartCheckIn takes an arrival time or a duration and says whom a miss would reach', async () => {
  const { owner, circleId } = await world();
  const dueAt = new Date(now().getTime() + 2 * HOUR);
  const byTime = await owner.support.startCheckIn({
    deadline: { case: 'dueAt', value: timestampFromDate(dueAt) },
    circleIds: [circleId],
    destination: 'the station',
  });
  assert.equal(byTime.reach, Reach.MEMBERS);
  const timer = byTime.checkIn!;
  assert.equal(timer.status, CheckInStatus.ACTIVE);
  assert.equal(ms(timer.dueAt), dueAt.getTime());
  assert.equal(timer.userId, owner.userId);
  assert.deepEqual(timer.circleIds, [circleId]);
  assert.equal(timer.destination, 'the station');
  assert.equal(timer.hasCheckInWord, false);
  assert.equal(timer.version, 1n);
  assert.equal(timer.remindedAt, undefined);
  assert.equal(timer.graceUntil, undefined);

  const byDuration = await owner.support.startCheckIn({
    deadline: { case: 'duration', value: durationFromMs(30 * MINUTE) },
    circleIds: [circleId],
    checkInWord: 'heron',
  });
  assert.equal(ms(byDuration.checkIn!.dueAt), now().getTime() + 30 * MINUTE);
  assert.equal(byDuration.checkIn!.hasCheckInWord, true);

  // A circle where nobody else is: it still starts, and says so.
  const lonely = await s.person();
  const solo = await s.circle([lonely]);
  const nobody = await lonely.support.startCheckIn({
    deadline: { case: 'duration', value: durationFromMs(HOUR) },
    circleIds: [solo],
  });
  assert.equal(nobody.reach, Reach.NOBODY);
  assert.equal(nobody.checkIn?.status, CheckInStatus.ACTIVE);
});

test('StartCheckIn: a circle of someone else is NotFound; no circle and no emergency contact is FailedPrecondition', async () => {
  const { circleId, stranger } = await world();
  const deadline = { case: 'duration', value: durationFromMs(HOUR) } as const;
  assert.equal(
    await codeOf(stranger.support.startCheckIn({ deadline, circleIds: [circleId] })),
    Code.NotFound,
  );
  assert.equal(
    await codeOf(stranger.support.startCheckIn({ deadline, circleIds: [] })),
    Code.FailedPrecondition,
  );
  assert.deepEqual((await stranger.support.listCheckIns({})).checkIns, []);
});

test('a missed check-in reminds the owner at due_at, then after the 5 min grace opens a MISSED_CHECK_IN incident that alerts the primary contacts', async () => {
  const { owner, primary, member, stranger, circleId } = await world();
  const { checkIn: started } = await owner.support.startCheckIn({
    deadline: { case: 'duration', value: durationFromMs(10 * MINUTE) },
    circleIds: [circleId],
    destination: 'walking home',
  });
  const id = started!.checkInId;

  await s.advance(10 * MINUTE - SECOND);
  await runCheckInTimers(s.app);
  assert.equal((await current(owner, id)).remindedAt, undefined);
  assert.deepEqual(await checkInEvents(id), []);

  await s.advance(SECOND);
  await runCheckInTimers(s.app);
  const reminded = await current(owner, id);
  assert.equal(reminded.status, CheckInStatus.ACTIVE);
  assert.equal(ms(reminded.remindedAt), now().getTime());
  assert.equal(ms(reminded.graceUntil), now().getTime() + 5 * MINUTE);
  assert.equal(reminded.version, 2n);
  const [remindedEvent] = await checkInEvents(id);
  assert.equal(remindedEvent?.case, 'supportCheckInReminded');
  assert.equal(remindedEvent.value.userId, owner.userId);
  assert.equal(ms(remindedEvent.value.dueAt), ms(started!.dueAt));
  assert.equal(ms(remindedEvent.value.graceUntil), ms(reminded.graceUntil));
  assert.equal(remindedEvent.value.version, 2n);

  // Nothing more before the grace ends, however often the runner looks.
  await s.advance(5 * MINUTE - SECOND);
  await runCheckInTimers(s.app);
  await runCheckInTimers(s.app);
  assert.equal((await current(owner, id)).status, CheckInStatus.ACTIVE);
  assert.equal((await checkInEvents(id)).length, 1);

  await s.advance(SECOND);
  await runCheckInTimers(s.app);
  await runCheckInTimers(s.app);
  const missed = await current(owner, id);
  assert.equal(missed.status, CheckInStatus.MISSED);
  assert.equal(missed.version, 3n);
  assert.equal(ms(missed.completedAt), now().getTime());
  assert.ok(missed.incidentId);
  const events = await checkInEvents(id);
  assert.deepEqual(
    events.map((e) => e.case),
    ['supportCheckInReminded', 'supportCheckInMissed'],
  );
  const missedEvent = events[1]!;
  assert.equal(missedEvent.case, 'supportCheckInMissed');
  assert.equal(missedEvent.value.incidentId, missed.incidentId);
  assert.deepEqual(missedEvent.value.circleIds, [circleId]);
  assert.equal(missedEvent.value.version, 3n);

  const raised = (await s.events()).find(
    (e) => e.case === 'supportAlertRaised' && e.value.incidentId === missed.incidentId,
  );
  assert.equal(raised?.case, 'supportAlertRaised');
  assert.equal(raised.value.kind, IncidentKind.MISSED_CHECK_IN);
  assert.deepEqual(raised.value.notifiedUserIds, [primary.userId]);
  const { incident } = await primary.support.getIncident({ incidentId: missed.incidentId });
  assert.equal(incident?.kind, IncidentKind.MISSED_CHECK_IN);
  assert.equal(incident?.status, IncidentStatus.OPEN);
  assert.equal(incident?.checkInId, id);
  assert.equal(incident?.message, 'walking home');
  assert.equal(incident?.owner?.userId, owner.userId);
  // The ladder goes on from the primary contacts; the others are not alerted yet.
  for (const p of [member, stranger]) {
    assert.equal(
      await codeOf(p.support.getIncident({ incidentId: missed.incidentId })),
      Code.NotFound,
    );
  }
  assert.equal(await codeOf(owner.support.checkIn({ checkInId: id })), Code.FailedPrecondition);
  assert.equal(
    await codeOf(
      owner.support.extendCheckIn({ checkInId: id, extendBy: durationFromMs(10 * MINUTE) }),
    ),
    Code.FailedPrecondition,
  );
  assert.equal(
    await codeOf(owner.support.cancelCheckIn({ checkInId: id })),
    Code.FailedPrecondition,
  );
});

test('checking in during the grace is on time, and a checked-in timer never fires later', async () => {
  const { owner, circleId } = await world();
  const { checkIn: started } = await owner.support.startCheckIn({
    deadline: { case: 'duration', value: durationFromMs(10 * MINUTE) },
    circleIds: [circleId],
  });
  const id = started!.checkInId;
  await s.advance(10 * MINUTE);
  await runCheckInTimers(s.app);
  assert.ok((await current(owner, id)).remindedAt);

  await s.advance(4 * MINUTE);
  const { checkIn: done } = await owner.support.checkIn({ checkInId: id });
  assert.equal(done?.status, CheckInStatus.CHECKED_IN);
  assert.equal(ms(done?.completedAt), now().getTime());
  assert.equal(done?.version, 3n);
  assert.equal(done?.incidentId, '');

  await s.advance(HOUR);
  await runCheckInTimers(s.app);
  assert.equal((await current(owner, id)).status, CheckInStatus.CHECKED_IN);
  assert.deepEqual(
    (await checkInEvents(id)).map((e) => e.case),
    ['supportCheckInReminded'],
  );
  assert.equal(await codeOf(owner.support.checkIn({ checkInId: id })), Code.FailedPrecondition);
});

test('a CheckIn that commits after due_at but before the runner wins: nothing fires', async () => {
  const { owner, circleId } = await world();
  const { checkIn: started } = await owner.support.startCheckIn({
    deadline: { case: 'duration', value: durationFromMs(5 * MINUTE) },
    circleIds: [circleId],
  });
  const id = started!.checkInId;
  await s.advance(5 * MINUTE);
  await owner.support.checkIn({ checkInId: id });
  await runCheckInTimers(s.app);
  await s.advance(10 * MINUTE);
  await runCheckInTimers(s.app);
  const after = await current(owner, id);
  assert.equal(after.status, CheckInStatus.CHECKED_IN);
  assert.equal(after.remindedAt, undefined);
  assert.deepEqual(await checkInEvents(id), []);
});

test('extending during the grace clears the reminder and gives the full extension from now', async () => {
  const { owner, circleId } = await world();
  const { checkIn: started } = await owner.support.startCheckIn({
    deadline: { case: 'duration', value: durationFromMs(10 * MINUTE) },
    circleIds: [circleId],
  });
  const id = started!.checkInId;
  await s.advance(10 * MINUTE);
  await runCheckInTimers(s.app);
  await s.advance(2 * MINUTE);
  const { checkIn: extended } = await owner.support.extendCheckIn({
    checkInId: id,
    extendBy: durationFromMs(30 * MINUTE),
  });
  assert.equal(extended?.status, CheckInStatus.ACTIVE);
  assert.equal(ms(extended?.dueAt), now().getTime() + 30 * MINUTE);
  assert.equal(extended?.remindedAt, undefined);
  assert.equal(extended?.graceUntil, undefined);
  assert.equal(extended?.extensionCount, 1);
  assert.equal(extended?.version, 3n);

  // The old grace ends without a miss; the next reminder comes at the new due_at.
  await s.advance(5 * MINUTE);
  await runCheckInTimers(s.app);
  assert.equal((await current(owner, id)).status, CheckInStatus.ACTIVE);
  await s.advance(25 * MINUTE);
  await runCheckInTimers(s.app);
  const again = await current(owner, id);
  assert.equal(again.status, CheckInStatus.ACTIVE);
  assert.equal(ms(again.remindedAt), now().getTime());
  assert.deepEqual(
    (await checkInEvents(id)).map((e) => e.case),
    ['supportCheckInReminded', 'supportCheckInReminded'],
  );
  await owner.support.cancelCheckIn({ checkInId: id });
});

test('ExtendCheckIn takes at most 3 extensions and never runs past 24 h from the start', async () => {
  const { owner, circleId } = await world();
  const start = (length: number) =>
    owner.support.startCheckIn({
      deadline: { case: 'duration', value: durationFromMs(length) },
      circleIds: [circleId],
    });
  const { checkIn: short } = await start(HOUR);
  const extendBy = durationFromMs(2 * HOUR);
  for (let i = 1; i <= 3; i++) {
    const { checkIn } = await owner.support.extendCheckIn({
      checkInId: short!.checkInId,
      extendBy,
    });
    assert.equal(checkIn?.extensionCount, i);
    assert.equal(ms(checkIn?.dueAt), ms(short!.dueAt) + i * 2 * HOUR);
  }
  assert.equal(
    await codeOf(owner.support.extendCheckIn({ checkInId: short!.checkInId, extendBy })),
    Code.FailedPrecondition,
  );
  assert.equal((await current(owner, short!.checkInId)).extensionCount, 3);

  const { checkIn: long } = await start(23 * HOUR);
  assert.equal(
    await codeOf(owner.support.extendCheckIn({ checkInId: long!.checkInId, extendBy })),
    Code.FailedPrecondition,
  );
  const { checkIn: toTheLimit } = await owner.support.extendCheckIn({
    checkInId: long!.checkInId,
    extendBy: durationFromMs(HOUR),
  });
  assert.equal(ms(toTheLimit?.dueAt), ms(long!.createdAt) + 24 * HOUR);
  for (const c of [short!, long!]) await owner.support.cancelCheckIn({ checkInId: c.checkInId });
});

test('the third wrong word counts as missed and answers like the first two', async () => {
  const { owner, primary, circleId } = await world();
  const { checkIn: started } = await owner.support.startCheckIn({
    deadline: { case: 'duration', value: durationFromMs(HOUR) },
    circleIds: [circleId],
    checkInWord: 'Blue Heron',
  });
  const id = started!.checkInId;
  // No word at all is a malformed call, not a guess.
  assert.equal(await codeOf(owner.support.checkIn({ checkInId: id })), Code.InvalidArgument);
  assert.equal(
    await codeOf(owner.support.checkIn({ checkInId: id, checkInWord: 'grey heron' })),
    Code.PermissionDenied,
  );
  assert.equal(
    await codeOf(owner.support.cancelCheckIn({ checkInId: id, checkInWord: 'heron' })),
    Code.PermissionDenied,
  );
  const stillActive = await current(owner, id);
  assert.equal(stillActive.status, CheckInStatus.ACTIVE);
  assert.equal(stillActive.version, 1n);

  assert.equal(
    await codeOf(owner.support.checkIn({ checkInId: id, checkInWord: 'blue' })),
    Code.PermissionDenied,
  );
  const missed = await current(owner, id);
  assert.equal(missed.status, CheckInStatus.MISSED);
  assert.ok(missed.incidentId);
  assert.deepEqual(
    (await checkInEvents(id)).map((e) => e.case),
    ['supportCheckInMissed'],
  );
  const { incident } = await primary.support.getIncident({ incidentId: missed.incidentId });
  assert.equal(incident?.kind, IncidentKind.MISSED_CHECK_IN);
  // The right word is too late now.
  assert.equal(
    await codeOf(owner.support.checkIn({ checkInId: id, checkInWord: 'Blue Heron' })),
    Code.FailedPrecondition,
  );
});

test('the word is compared trimmed and in lower case, for CheckIn and CancelCheckIn alike', async () => {
  const { owner, circleId } = await world();
  const start = () =>
    owner.support.startCheckIn({
      deadline: { case: 'duration', value: durationFromMs(HOUR) },
      circleIds: [circleId],
      checkInWord: 'Blue Heron',
    });
  const { checkIn: one } = await start();
  const { checkIn: checkedIn } = await owner.support.checkIn({
    checkInId: one!.checkInId,
    checkInWord: '  blue HERON ',
  });
  assert.equal(checkedIn?.status, CheckInStatus.CHECKED_IN);

  const { checkIn: two } = await start();
  assert.equal(
    await codeOf(
      owner.support.cancelCheckIn({ checkInId: two!.checkInId, checkInWord: 'blueheron' }),
    ),
    Code.PermissionDenied,
  );
  await owner.support.cancelCheckIn({ checkInId: two!.checkInId, checkInWord: 'BLUE HERON' });
  const cancelled = await current(owner, two!.checkInId);
  assert.equal(cancelled.status, CheckInStatus.CANCELLED);
  assert.ok(cancelled.completedAt);
  assert.equal(cancelled.version, 2n);
  assert.equal(
    await codeOf(
      owner.support.cancelCheckIn({ checkInId: two!.checkInId, checkInWord: 'blue heron' }),
    ),
    Code.FailedPrecondition,
  );
  // A cancelled timer never fires.
  await s.advance(2 * HOUR);
  await runCheckInTimers(s.app);
  assert.equal((await current(owner, two!.checkInId)).status, CheckInStatus.CANCELLED);
  assert.deepEqual(await checkInEvents(two!.checkInId), []);
});

test('someone else’s check-in is NotFound to everyone but its owner, circle members included', async () => {
  const { owner, primary, stranger, circleId } = await world();
  const { checkIn: started } = await owner.support.startCheckIn({
    deadline: { case: 'duration', value: durationFromMs(HOUR) },
    circleIds: [circleId],
  });
  const checkInId = started!.checkInId;
  for (const p of [primary, stranger]) {
    assert.equal(await codeOf(p.support.checkIn({ checkInId })), Code.NotFound);
    assert.equal(await codeOf(p.support.cancelCheckIn({ checkInId })), Code.NotFound);
    assert.equal(
      await codeOf(p.support.extendCheckIn({ checkInId, extendBy: durationFromMs(HOUR) })),
      Code.NotFound,
    );
    const { checkIns } = await p.support.listCheckIns({});
    assert.ok(!checkIns.some((c) => c.checkInId === checkInId));
  }
  assert.equal(
    await codeOf(owner.support.checkIn({ checkInId: '01890000-0000-7000-8000-000000000000' })),
    Code.NotFound,
  );
  await owner.support.cancelCheckIn({ checkInId });
});

test('RequestCheckIn asks a member of a shared circle, once at a time, and notifies them', async () => {
  const { owner, member, stranger, circleId } = await world();
  const { checkIn: asked } = await member.support.requestCheckIn({
    userId: owner.userId,
    circleId,
    message: 'are you OK?',
  });
  assert.equal(asked?.userId, owner.userId);
  assert.equal(asked?.requestedByUserId, member.userId);
  assert.equal(asked?.status, CheckInStatus.ACTIVE);
  assert.deepEqual(asked?.circleIds, [circleId]);
  assert.equal(asked?.hasCheckInWord, false);
  assert.equal(ms(asked?.dueAt), now().getTime() + 30 * MINUTE);
  const [requested] = await checkInEvents(asked!.checkInId);
  assert.equal(requested?.case, 'supportCheckInRequested');
  assert.equal(requested.value.userId, owner.userId);
  assert.equal(requested.value.requestedByUserId, member.userId);
  assert.equal(requested.value.circleId, circleId);
  assert.equal(requested.value.message, 'are you OK?');
  assert.equal(ms(requested.value.dueAt), ms(asked?.dueAt));
  assert.equal(requested.value.version, 1n);

  // Asking again while it runs returns it and notifies nobody again.
  const { checkIn: again } = await member.support.requestCheckIn({
    userId: owner.userId,
    circleId,
    message: 'hello??',
  });
  assert.equal(again?.checkInId, asked?.checkInId);
  assert.equal((await checkInEvents(asked!.checkInId)).length, 1);

  // It is the owner's: listed for them, answered by them, not the asker's.
  assert.equal((await current(owner, asked!.checkInId)).requestedByUserId, member.userId);
  assert.ok(
    !(await member.support.listCheckIns({})).checkIns.some((c) => c.checkInId === asked!.checkInId),
  );
  assert.equal(
    await codeOf(member.support.checkIn({ checkInId: asked!.checkInId })),
    Code.NotFound,
  );
  const { checkIn: answered } = await owner.support.checkIn({ checkInId: asked!.checkInId });
  assert.equal(answered?.status, CheckInStatus.CHECKED_IN);

  // No shared circle: NotFound, whichever side is missing; oneself: InvalidArgument.
  assert.equal(
    await codeOf(stranger.support.requestCheckIn({ userId: owner.userId, circleId })),
    Code.NotFound,
  );
  assert.equal(
    await codeOf(member.support.requestCheckIn({ userId: stranger.userId, circleId })),
    Code.NotFound,
  );
  assert.equal(
    await codeOf(member.support.requestCheckIn({ userId: member.userId, circleId })),
    Code.InvalidArgument,
  );
});

test('an unanswered RequestCheckIn is missed after its answer window and the grace, alerting that circle', async () => {
  const { owner, primary, other, circleId } = await world();
  const elsewhere = await s.circle([owner, await s.person()]);
  const { checkIn: asked } = await other.support.requestCheckIn({
    userId: owner.userId,
    circleId,
    answerWithin: durationFromMs(10 * MINUTE),
  });
  assert.equal(ms(asked?.dueAt), now().getTime() + 10 * MINUTE);
  await s.advance(10 * MINUTE);
  await runCheckInTimers(s.app);
  await s.advance(5 * MINUTE);
  await runCheckInTimers(s.app);
  const missed = await current(owner, asked!.checkInId);
  assert.equal(missed.status, CheckInStatus.MISSED);
  const { incident } = await primary.support.getIncident({ incidentId: missed.incidentId });
  assert.deepEqual(incident?.circleIds, [circleId]);
  assert.ok(!incident?.circleIds.includes(elsewhere));
  assert.deepEqual(
    (await checkInEvents(asked!.checkInId)).map((e) => e.case),
    ['supportCheckInRequested', 'supportCheckInReminded', 'supportCheckInMissed'],
  );
});

test('ListCheckIns pages the caller’s check-ins newest first; active_only leaves out ended ones', async () => {
  const { owner, circleId } = await world();
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { checkIn } = await owner.support.startCheckIn({
      deadline: { case: 'duration', value: durationFromMs(HOUR + i * MINUTE) },
      circleIds: [circleId],
    });
    ids.push(checkIn!.checkInId);
  }
  await owner.support.cancelCheckIn({ checkInId: ids[1]! });
  const first = await owner.support.listCheckIns({ pageSize: 2 });
  assert.deepEqual(
    first.checkIns.map((c) => c.checkInId),
    [ids[2], ids[1]],
  );
  assert.ok(first.nextPageToken);
  const second = await owner.support.listCheckIns({ pageSize: 2, pageToken: first.nextPageToken });
  assert.deepEqual(
    second.checkIns.map((c) => c.checkInId),
    [ids[0]],
  );
  assert.equal(second.nextPageToken, '');
  const active = await owner.support.listCheckIns({ activeOnly: true });
  assert.deepEqual(
    active.checkIns.map((c) => c.checkInId),
    [ids[2], ids[0]],
  );
  // A token is bound to its query.
  assert.equal(
    await codeOf(owner.support.listCheckIns({ activeOnly: true, pageToken: first.nextPageToken })),
    Code.InvalidArgument,
  );
  for (const id of [ids[0]!, ids[2]!]) await owner.support.cancelCheckIn({ checkInId: id });
});

// Last: it moves the clock a month on.
test('a check-in is deleted 30 days after it ends; a running one is kept', async () => {
  const { owner, circleId } = await world();
  const start = () =>
    owner.support.startCheckIn({
      deadline: { case: 'duration', value: durationFromMs(HOUR) },
      circleIds: [circleId],
    });
  const { checkIn: ended } = await start();
  await owner.support.checkIn({ checkInId: ended!.checkInId });
  const { checkIn: running } = await start();
  await s.advance(30 * 24 * HOUR - MINUTE);
  await purgeEndedCheckIns(s.app);
  assert.equal((await owner.support.listCheckIns({})).checkIns.length, 2);
  await s.advance(2 * MINUTE);
  await purgeEndedCheckIns(s.app);
  assert.deepEqual(
    (await owner.support.listCheckIns({})).checkIns.map((c) => c.checkInId),
    [running!.checkInId],
  );
});
