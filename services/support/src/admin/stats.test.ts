import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import {
  CheckInStatus,
  HelpType,
  Reach,
  ResolutionKind,
  ResponseKind,
  Severity,
} from '@kith/gen/kith/support/v1/types_pb.js';
// By path: the support package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import { runLadders } from '../incidents/escalation.js';
import { authDeps, startSupportHarness } from '../testing/support-harness.js';
import type { Person, SupportHarness } from '../testing/support-harness.js';
import { getStats } from './stats.js';

let s: SupportHarness;
beforeAll(async () => {
  s = await startSupportHarness(authDeps(startAuthHarness, (h) => seedUser(h), startSession));
});
afterAll(() => s?.stop());

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const CANCEL = '2468';
const DURESS = '1357';

/**
 * An owner whose circle has a primary contact (`friend`, alerted at once) and another member;
 * alone in their circle with `alone`. PINs when asked.
 */
async function sosOwner(options: { pins?: 'cancel' | 'duress'; alone?: boolean } = {}) {
  const owner = await s.person();
  const friend = await s.person();
  const member = await s.person();
  const circleId = options.alone
    ? await s.circle([owner])
    : await s.circle([owner, friend, member], { primary: [friend] });
  if (options.pins) {
    await owner.support.setSafetyPins({
      cancelPin: CANCEL,
      duressPin: options.pins === 'duress' ? DURESS : '',
    });
  }
  return { owner, friend, member, circleId };
}

type SosOwner = Awaited<ReturnType<typeof sosOwner>>;

async function raise(o: SosOwner) {
  const { incident, reach } = await o.owner.support.raiseSos({ circleIds: [o.circleId] });
  return { ...o, incidentId: incident!.incidentId, reach };
}

async function helpRequest(owner: Person, helper: Person) {
  const circleId = await s.circle([owner, helper], { responders: [helper] });
  await owner.support.createHelpRequest({
    type: HelpType.CALL_ME,
    severity: Severity.HELP,
    circleIds: [circleId],
  });
}

async function insertCheckIn(userId: string, status: CheckInStatus, createdAt: Date) {
  await s.app.database.db
    .insertInto('check_ins')
    .values({
      id: crypto.randomUUID(),
      user_id: userId,
      status,
      due_at: new Date(createdAt.getTime() + 30 * MINUTE),
      circle_ids: [],
      word_hash: null,
      requested_by: null,
      incident_id: null,
      reminded_at: null,
      grace_until: null,
      timer_at: null,
      completed_at: null,
      version: '1',
      created_at: createdAt,
      updated_at: createdAt,
    })
    .execute();
}

test('GetStats counts exactly the SOS, help requests and check-ins created in the window', async () => {
  // Everyone set up first, so the clock moves only where the test says.
  const early = await sosOwner();
  // Cancelled with the PIN: a false alarm.
  const o1 = await sosOwner({ pins: 'cancel' });
  // Cancelled with the duress PIN, then resolved FALSE_ALARM by its claimer: not one.
  const o2 = await sosOwner({ pins: 'duress' });
  // Resolved FALSE_ALARM by its owner.
  const o3 = await sosOwner();
  // Resolved ALL_CLEAR by its claimer.
  const o4 = await sosOwner();
  // Nobody acknowledges: escalates at T+2 min, then ALL_CLEAR by its owner.
  const o5 = await sosOwner();
  // Reaches nobody: the emergency-services prompt fires at once.
  const o6 = await sosOwner({ alone: true });
  const late = await sosOwner();
  const [helpOwner, helper, lateHelpOwner, lateHelper] = [
    await s.person(),
    await s.person(),
    await s.person(),
    await s.person(),
  ];

  // Before the window: an SOS acknowledged after 1 s, and a missed check-in.
  const before = await raise(early);
  await insertCheckIn(early.owner.userId, CheckInStatus.MISSED, s.app.clock());
  await s.advance(SECOND);
  await before.friend.support.acknowledge({ incidentId: before.incidentId });

  const since = s.app.clock();
  const one = await raise(o1);
  const two = await raise(o2);
  const three = await raise(o3);
  const four = await raise(o4);
  const five = await raise(o5);
  const six = await raise(o6);
  assert.equal(six.reach, Reach.NOBODY);
  await helpRequest(helpOwner, helper);
  await insertCheckIn(helpOwner.userId, CheckInStatus.MISSED, since);
  await insertCheckIn(helpOwner.userId, CheckInStatus.CHECKED_IN, since);
  await insertCheckIn(helper.userId, CheckInStatus.ACTIVE, new Date(since.getTime() + MINUTE));

  // First acknowledgements (or responses) after 10, 20, 30 and 40 s.
  await s.advance(10 * SECOND);
  await one.friend.support.acknowledge({ incidentId: one.incidentId });
  await s.advance(10 * SECOND);
  await two.friend.support.respond({
    incidentId: two.incidentId,
    kind: ResponseKind.ON_MY_WAY,
    eta: durationFromMs(5 * MINUTE),
  });
  await s.advance(10 * SECOND);
  await three.friend.support.acknowledge({ incidentId: three.incidentId });
  await s.advance(10 * SECOND);
  await four.friend.support.acknowledge({ incidentId: four.incidentId });

  await one.owner.support.cancelSos({ incidentId: one.incidentId, pin: CANCEL });
  await two.owner.support.cancelSos({ incidentId: two.incidentId, pin: DURESS });
  await two.friend.support.claimResponse({ incidentId: two.incidentId });
  await two.friend.support.resolve({
    incidentId: two.incidentId,
    kind: ResolutionKind.FALSE_ALARM,
    reason: 'she was forced to cancel; safe now',
  });
  await three.owner.support.resolve({
    incidentId: three.incidentId,
    kind: ResolutionKind.FALSE_ALARM,
    reason: 'pocket',
  });
  await four.friend.support.claimResponse({ incidentId: four.incidentId });
  await four.friend.support.resolve({
    incidentId: four.incidentId,
    kind: ResolutionKind.ALL_CLEAR,
    reason: 'with her',
  });
  await s.advance(2 * MINUTE);
  await runLadders(s.app);
  await five.owner.support.resolve({
    incidentId: five.incidentId,
    kind: ResolutionKind.ALL_CLEAR,
    reason: 'fine',
  });

  // At the window's end (exclusive): another SOS, help request and check-in.
  const until = new Date(since.getTime() + 5 * MINUTE);
  await s.advance(until.getTime() - s.app.clock().getTime());
  await raise(late);
  await helpRequest(lateHelpOwner, lateHelper);
  await insertCheckIn(late.owner.userId, CheckInStatus.MISSED, until);

  const stats = await getStats(s.app, { since, until });
  assert.deepEqual(stats, {
    sosRaised: 6n,
    helpRequestsCreated: 1n,
    // Over 10, 20, 30 and 40 s, interpolated.
    medianTimeToFirstAcknowledgement: durationFromMs(25 * SECOND),
    p90TimeToFirstAcknowledgement: durationFromMs(37 * SECOND),
    // The duress cancel resumed its ladder at once; the fifth at T+2 min; the sixth at once.
    escalationRate: 3 / 6,
    // Closed: all but the sixth. False alarms: the PIN cancel and the owner's FALSE_ALARM.
    falseAlarmRate: 2 / 5,
    sosReachingNoMember: 1n,
    checkInsStarted: 3n,
    checkInsMissed: 1n,
  });

  // The window moved by a second on each side takes in the early SOS and the late one.
  const wider = await getStats(s.app, {
    since: new Date(since.getTime() - SECOND),
    until: new Date(until.getTime() + SECOND),
  });
  assert.equal(wider.sosRaised, 8n);
  assert.equal(wider.helpRequestsCreated, 2n);
  assert.equal(wider.checkInsStarted, 5n);
  assert.equal(wider.checkInsMissed, 3n);
});

test('GetStats over a window with nothing in it: zeros, and no acknowledgement times', async () => {
  const now = s.app.clock().getTime();
  const stats = await getStats(s.app, {
    since: new Date(now - 400 * 24 * 60 * MINUTE),
    until: new Date(now - 300 * 24 * 60 * MINUTE),
  });
  assert.deepEqual(stats, {
    sosRaised: 0n,
    helpRequestsCreated: 0n,
    medianTimeToFirstAcknowledgement: undefined,
    p90TimeToFirstAcknowledgement: undefined,
    escalationRate: 0,
    falseAlarmRate: 0,
    sosReachingNoMember: 0n,
    checkInsStarted: 0n,
    checkInsMissed: 0n,
  });
});
