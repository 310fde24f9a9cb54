import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import {
  EscalationTarget,
  HelpType,
  IncidentKind,
  IncidentStatus,
  Reach,
  ResolutionKind,
  ResponderState,
  ResponseKind,
  Severity,
} from '@kith/gen/kith/support/v1/types_pb.js';
import { codeOf } from '@kith/testkit';
// By path: the support package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import { authDeps, startSupportHarness } from '../testing/support-harness.js';
import type { Person, SupportHarness } from '../testing/support-harness.js';
import { runLadders } from './escalation.js';

let s: SupportHarness;
beforeAll(async () => {
  s = await startSupportHarness(authDeps(startAuthHarness, (h) => seedUser(h), startSession));
});
afterAll(() => s?.stop());

const MINUTE = 60_000;

/** An owner with a circle: one primary contact, one responder, two plain members, a stranger. */
async function world() {
  const owner = await s.person();
  const primary = await s.person();
  const helper = await s.person();
  const member = await s.person();
  const stranger = await s.person();
  const circleId = await s.circle([owner, primary, helper, member], {
    primary: [primary],
    responders: [helper],
  });
  return { owner, primary, helper, member, stranger, circleId };
}

const stateOf = async (viewer: Person, incidentId: string) =>
  (await viewer.support.getIncident({ incidentId })).incident!;

test('an SOS alerts the primary contacts at once, the circle at T+2 min, and the first Acknowledge stops the ladder', async () => {
  const { owner, primary, helper, member, stranger, circleId } = await world();
  const { incident, reach } = await owner.support.raiseSos({
    circleIds: [circleId],
    message: 'help',
  });
  assert.ok(incident);
  assert.equal(reach, Reach.MEMBERS);
  assert.equal(incident.status, IncidentStatus.OPEN);
  assert.deepEqual(
    incident.responders.map((r) => r.user?.userId),
    [primary.userId],
  );
  const raised = (await s.events()).find(
    (e) => e.case === 'supportAlertRaised' && e.value.incidentId === incident.incidentId,
  );
  assert.equal(raised?.case, 'supportAlertRaised');
  assert.deepEqual(raised.value.notifiedUserIds, [primary.userId]);
  assert.equal(raised.value.bypassQuietHours, true);

  // The others cannot see it yet; the stranger never can.
  for (const p of [helper, member, stranger]) {
    assert.equal(
      await codeOf(p.support.getIncident({ incidentId: incident.incidentId })),
      Code.NotFound,
    );
  }
  await s.advance(2 * MINUTE);
  await runLadders(s.app);
  const after = await stateOf(owner, incident.incidentId);
  assert.deepEqual(
    new Set(after.responders.map((r) => r.user?.userId)),
    new Set([primary.userId, helper.userId, member.userId]),
  );
  assert.equal(after.escalation?.currentStep, 1);
  assert.ok(after.escalation?.nextStepAt);

  const { responder } = await member.support.acknowledge({ incidentId: incident.incidentId });
  assert.equal(responder?.state, ResponderState.ACKNOWLEDGED);
  const stopped = await stateOf(owner, incident.incidentId);
  assert.equal(stopped.escalation?.stopped, true);
  assert.equal(stopped.escalation?.nextStepAt, undefined);
  assert.equal(stopped.responderCounts?.acknowledged, 1);
  await s.advance(10 * MINUTE);
  assert.equal(await runLadders(s.app), 0);
  assert.equal((await stateOf(owner, incident.incidentId)).escalation?.currentStep, 1);
  assert.equal(
    await codeOf(stranger.support.getIncidentTimeline({ incidentId: incident.incidentId })),
    Code.NotFound,
  );
  await owner.support.resolve({
    incidentId: incident.incidentId,
    kind: ResolutionKind.ALL_CLEAR,
    reason: 'safe',
  });
});

test('a step due in the same instant as the first Acknowledge never fires after it', async () => {
  const { owner, primary, circleId } = await world();
  const { incident } = await owner.support.raiseSos({ circleIds: [circleId] });
  await s.advance(2 * MINUTE);
  // Due now; the acknowledgement commits first.
  await primary.support.acknowledge({ incidentId: incident!.incidentId });
  await runLadders(s.app);
  const after = await stateOf(owner, incident!.incidentId);
  assert.equal(after.escalation?.currentStep, 0);
  assert.equal(after.responderCounts?.notified, 1);
  await owner.support.resolve({
    incidentId: incident!.incidentId,
    kind: ResolutionKind.ALL_CLEAR,
    reason: 'ok',
  });
});

test('a help request alerts only the circle responders; without any it reaches nobody', async () => {
  const { owner, helper, primary, circleId } = await world();
  const { incident, reach } = await owner.support.createHelpRequest({
    type: HelpType.COME_GET_ME,
    severity: Severity.URGENT,
    message: 'stuck at the station',
    circleIds: [circleId],
  });
  assert.equal(reach, Reach.MEMBERS);
  assert.equal(incident?.kind, IncidentKind.HELP_REQUEST);
  assert.deepEqual(
    incident?.responders.map((r) => r.user?.userId),
    [helper.userId],
  );
  assert.equal(incident?.escalation, undefined);
  assert.equal(
    await codeOf(primary.support.getIncident({ incidentId: incident!.incidentId })),
    Code.NotFound,
  );

  const lonely = await s.person();
  const solo = await s.circle([lonely, await s.person()]);
  const none = await lonely.support.createHelpRequest({
    type: HelpType.NEED_TO_TALK,
    severity: Severity.INFO,
    circleIds: [solo],
  });
  assert.equal(none.reach, Reach.NOBODY);
  // Not a member: NotFound, as for a circle that does not exist.
  assert.equal(
    await codeOf(
      owner.support.createHelpRequest({
        type: HelpType.CALL_ME,
        severity: Severity.HELP,
        circleIds: [solo],
      }),
    ),
    Code.NotFound,
  );
  // Moderation's link rules refuse the text with the rule id.
  assert.equal(
    await codeOf(
      owner.support.createHelpRequest({
        type: HelpType.CALL_ME,
        severity: Severity.HELP,
        circleIds: [circleId],
        message: 'forbidden link',
      }),
    ),
    Code.InvalidArgument,
  );
});

test('20 concurrent ClaimResponse make exactly one claimant; the claimant may resolve, others may not', async () => {
  const owner = await s.person();
  const members = await Promise.all(Array.from({ length: 20 }, () => s.person()));
  const circleId = await s.circle([owner, ...members], { primary: members });
  const { incident } = await owner.support.raiseSos({ circleIds: [circleId] });
  const id = incident!.incidentId;
  const results = await Promise.allSettled(
    members.map((m) => m.support.claimResponse({ incidentId: id })),
  );
  const won = results.filter((r) => r.status === 'fulfilled');
  assert.equal(won.length, 1);
  const claimant = (await stateOf(owner, id)).claimedByUserId;
  const winner = members.find((m) => m.userId === claimant)!;
  // The claimant's retry changes nothing; another's resolve is refused.
  assert.equal(
    (await winner.support.claimResponse({ incidentId: id })).incident?.claimedByUserId,
    claimant,
  );
  const other = members.find((m) => m !== winner)!;
  assert.equal(
    await codeOf(
      other.support.resolve({ incidentId: id, kind: ResolutionKind.ALL_CLEAR, reason: 'x' }),
    ),
    Code.PermissionDenied,
  );
  const resolved = await winner.support.resolve({
    incidentId: id,
    kind: ResolutionKind.ALL_CLEAR,
    reason: 'found them',
  });
  assert.equal(resolved.incident?.status, IncidentStatus.RESOLVED);
  assert.equal((await stateOf(owner, id)).status, IncidentStatus.RESOLVED);
  assert.equal(
    await codeOf(winner.support.acknowledge({ incidentId: id })),
    Code.FailedPrecondition,
  );
});

test('RaiseSos is one incident while open, also for concurrent calls; the 4th in an hour is refused, never the first', async () => {
  const { owner, circleId } = await world();
  const both = await Promise.all([
    owner.support.raiseSos({ circleIds: [circleId] }),
    owner.support.raiseSos({ circleIds: [circleId] }),
  ]);
  assert.equal(both[0].incident?.incidentId, both[1].incident?.incidentId);
  const end = (id: string) =>
    owner.support.resolve({ incidentId: id, kind: ResolutionKind.FALSE_ALARM, reason: 'pocket' });
  await end(both[0].incident!.incidentId);
  await end((await owner.support.raiseSos({ circleIds: [circleId] })).incident!.incidentId);
  await end((await owner.support.raiseSos({ circleIds: [circleId] })).incident!.incidentId);
  assert.equal(
    await codeOf(owner.support.raiseSos({ circleIds: [circleId] })),
    Code.ResourceExhausted,
  );
  // An hour later it may again.
  await s.advance(60 * MINUTE + 1);
  const again = await owner.support.raiseSos({ circleIds: [circleId] });
  await end(again.incident!.incidentId);
});

test('responders answer with states, counts and an ETA; the owner cannot respond and the timeline is dense', async () => {
  const { owner, primary, circleId } = await world();
  const { incident } = await owner.support.raiseSos({ circleIds: [circleId] });
  const id = incident!.incidentId;
  assert.equal(await codeOf(owner.support.acknowledge({ incidentId: id })), Code.PermissionDenied);
  const { responder } = await primary.support.respond({
    incidentId: id,
    kind: ResponseKind.ON_MY_WAY,
    eta: durationFromMs(10 * MINUTE),
    note: 'leaving now',
  });
  assert.equal(responder?.state, ResponderState.RESPONDED);
  assert.equal(responder?.latestResponse?.note, 'leaving now');
  const view = await stateOf(owner, id);
  assert.equal(view.responderCounts?.onMyWay, 1);
  assert.equal(view.escalation?.stopped, true);
  await primary.support.addIncidentNote({ incidentId: id, text: 'I called her brother' });
  const { entries } = await owner.support.getIncidentTimeline({ incidentId: id });
  assert.deepEqual(
    entries.map((e) => e.sequence),
    entries.map((_, i) => BigInt(i + 1)),
  );
  assert.deepEqual(
    entries.map((e) => e.event.case),
    ['opened', 'notified', 'escalated', 'responded', 'note'],
  );
  const newer = await owner.support.getIncidentTimeline({ incidentId: id, afterSequence: 3n });
  assert.deepEqual(
    newer.entries.map((e) => e.event.case),
    ['responded', 'note'],
  );
  // Someone else's or unknown media is refused.
  assert.equal(
    await codeOf(
      primary.support.addIncidentNote({
        incidentId: id,
        mediaIds: ['0190f2f6-6f3c-7cc0-8b5c-7a0000000002'],
      }),
    ),
    Code.InvalidArgument,
  );
  await owner.support.resolve({ incidentId: id, kind: ResolutionKind.ALL_CLEAR, reason: 'ok' });
});

test("one request's receipts each move their responder to DELIVERED once, each its own version and event", async () => {
  const owner = await s.person();
  const [a, b, c] = [await s.person(), await s.person(), await s.person()];
  // Nobody is a primary contact: the whole circle is alerted at once.
  const circleId = await s.circle([owner, a, b, c]);
  const { incident } = await owner.support.raiseSos({ circleIds: [circleId] });
  const incidentId = incident!.incidentId;
  const before = await stateOf(owner, incidentId);
  const at = (seconds: bigint) => ({ seconds, nanos: 0 });
  await s.internal.recordDeliveries({
    deliveries: [
      { incidentId, userId: a.userId, channel: 1, deliveredAt: at(100n) },
      { incidentId, userId: b.userId, channel: 2, deliveredAt: at(101n) },
      // A later receipt of a, someone never alerted, and an unknown incident: nothing.
      { incidentId, userId: a.userId, channel: 2, deliveredAt: at(102n) },
      { incidentId, userId: owner.userId, channel: 1, deliveredAt: at(103n) },
      {
        incidentId: '0190f2f6-6f3c-7cc0-8b5c-7a0000000009',
        userId: a.userId,
        channel: 1,
        deliveredAt: at(104n),
      },
    ],
  });
  const after = await stateOf(owner, incidentId);
  const stateOfUser = new Map(after.responders.map((r) => [r.user?.userId, r.state]));
  assert.deepEqual(
    [a, b, c].map((p) => stateOfUser.get(p.userId)),
    [ResponderState.DELIVERED, ResponderState.DELIVERED, ResponderState.NOTIFIED],
  );
  assert.equal(after.version, before.version + 2n);
  const delivered = (await s.events()).filter(
    (e) => e.case === 'supportAlertDelivered' && e.value.incidentId === incidentId,
  );
  assert.deepEqual(
    delivered.map(
      (e) => e.case === 'supportAlertDelivered' && [e.value.responderId, e.value.version],
    ),
    [
      [a.userId, before.version + 1n],
      [b.userId, before.version + 2n],
    ],
  );
  const { entries } = await owner.support.getIncidentTimeline({ incidentId });
  assert.deepEqual(
    entries
      .filter((e) => e.event.case === 'delivered')
      .map((e) => e.event.case === 'delivered' && [e.event.value.userId, e.event.value.channel]),
    [
      [a.userId, 1],
      [b.userId, 2],
    ],
  );
  await owner.support.resolve({ incidentId, kind: ResolutionKind.ALL_CLEAR, reason: 'ok' });
});

test('an SOS that can reach no member says so and prompts emergency services at once', async () => {
  const owner = await s.person();
  const circleId = await s.circle([owner]);
  const { incident, reach } = await owner.support.raiseSos({ circleIds: [circleId] });
  assert.equal(reach, Reach.NOBODY);
  const { entries } = await owner.support.getIncidentTimeline({ incidentId: incident!.incidentId });
  const escalated = entries.find((e) => e.event.case === 'escalated');
  assert.equal(
    escalated?.event.case === 'escalated' && escalated.event.value.target,
    EscalationTarget.EMERGENCY_SERVICES_PROMPT,
  );
  await owner.support.resolve({
    incidentId: incident!.incidentId,
    kind: ResolutionKind.ALL_CLEAR,
    reason: 'ok',
  });
});

test('the gateway may subscribe the owner to incident:<id> and the alerted to responders:<id>, nobody else', async () => {
  const { owner, primary, stranger, circleId } = await world();
  const { incident } = await owner.support.raiseSos({ circleIds: [circleId] });
  const ids = [incident!.incidentId];
  const owned = (userId: string) => s.internal.authorizeTopics({ userId, ids });
  const alerted = (userId: string) => s.internal.authorizeResponderTopics({ userId, ids });
  assert.deepEqual((await owned(owner.userId)).allowedIds, ids);
  assert.deepEqual((await owned(primary.userId)).allowedIds, []);
  assert.deepEqual((await alerted(primary.userId)).allowedIds, ids);
  assert.deepEqual((await alerted(owner.userId)).allowedIds, []);
  assert.deepEqual((await alerted(stranger.userId)).allowedIds, []);
  // A delivery receipt moves the responder to DELIVERED once, and never stops the ladder.
  await s.internal.recordDeliveries({
    deliveries: [
      {
        incidentId: ids[0],
        userId: primary.userId,
        channel: 1,
        deliveredAt: { seconds: 1n, nanos: 0 },
      },
    ],
  });
  const view = await stateOf(owner, ids[0]!);
  assert.equal(view.responders[0]?.state, ResponderState.DELIVERED);
  assert.equal(view.escalation?.stopped, false);
  await owner.support.resolve({
    incidentId: ids[0]!,
    kind: ResolutionKind.ALL_CLEAR,
    reason: 'ok',
  });
});
