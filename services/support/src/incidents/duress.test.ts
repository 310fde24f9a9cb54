import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { toJsonString } from '@bufbuild/protobuf';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import {
  GetIncidentResponseSchema,
  GetIncidentTimelineResponseSchema,
  ListIncidentsResponseSchema,
  ListRespondersResponseSchema,
  CancelSosResponseSchema,
  ExportFormat,
} from '@kith/gen/kith/support/v1/support_pb.js';
import { IncidentStatus, ResolutionKind } from '@kith/gen/kith/support/v1/types_pb.js';
import { EnvelopeSchema } from '@kith/gen/kith/events/v1/events_pb.js';
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
const CANCEL = '2468';
const DURESS = '1357';
const location = { point: { latitude: 38.7223, longitude: -9.1393 }, accuracyMeters: 12 };

/** An owner with PINs and a circle (one primary contact, two more members), SOS raised. */
async function raised() {
  const owner = await s.person();
  const primary = await s.person();
  const member = await s.person();
  const other = await s.person();
  const circleId = await s.circle([owner, primary, member, other], { primary: [primary] });
  await owner.support.setSafetyPins({ cancelPin: CANCEL, duressPin: DURESS });
  const { incident } = await owner.support.raiseSos({
    circleIds: [circleId],
    message: 'followed',
    location,
  });
  return { owner, primary, member, other, circleId, incidentId: incident!.incidentId };
}

type World = Awaited<ReturnType<typeof raised>>;

/** Every owner-facing read, as JSON with the world's ids and names swapped for placeholders. */
async function ownerSurfaces(w: World, people: Person[]) {
  const o = w.owner.support;
  const id = w.incidentId;
  const json = <D extends DescMessage>(schema: D, message: MessageShape<D>) =>
    toJsonString(schema, message);
  const surfaces = [
    json(GetIncidentResponseSchema, await o.getIncident({ incidentId: id })),
    json(ListIncidentsResponseSchema, await o.listIncidents({})),
    json(
      ListIncidentsResponseSchema,
      await o.listIncidents({ statuses: [IncidentStatus.CANCELLED] }),
    ),
    json(ListIncidentsResponseSchema, await o.listIncidents({ statuses: [IncidentStatus.OPEN] })),
    json(ListRespondersResponseSchema, await o.listResponders({ incidentId: id })),
    json(GetIncidentTimelineResponseSchema, await o.getIncidentTimeline({ incidentId: id })),
    // The owner's later calls answer as after a real cancel.
    String(await codeOf(o.shareLocation({ incidentId: id, location }))),
    String(
      await codeOf(o.resolve({ incidentId: id, kind: ResolutionKind.ALL_CLEAR, reason: 'x' })),
    ),
    String(await codeOf(o.addIncidentNote({ incidentId: id, text: 'ok' }))),
    String(await codeOf(o.cancelSos({ incidentId: id, pin: CANCEL }))),
    String(await codeOf(o.cancelSos({ incidentId: id, pin: DURESS }))),
    String(await codeOf(o.exportIncident({ incidentId: id, format: ExportFormat.JSON }))),
  ];
  return normalise(surfaces.join('\n'), w, people);
}

function normalise(text: string, w: World, people: Person[]): string {
  let out = text.replaceAll(w.incidentId, 'INCIDENT').replaceAll(w.circleId, 'CIRCLE');
  people.forEach((p, i) => {
    out = out.replaceAll(p.userId, `USER${i}`).replaceAll(p.username, `NAME${i}`);
  });
  return out;
}

test('a duress cancel is byte-identical to a real cancel on every owner-facing surface, while responders are told and the ladder escalates', async () => {
  const real = await raised();
  const duress = await raised();
  const order = (w: World) => [w.owner, w.primary, w.member, w.other];

  const realAnswer = await real.owner.support.cancelSos({
    incidentId: real.incidentId,
    pin: CANCEL,
  });
  const duressAnswer = await duress.owner.support.cancelSos({
    incidentId: duress.incidentId,
    pin: DURESS,
  });
  assert.equal(realAnswer.incident?.status, IncidentStatus.CANCELLED);
  assert.equal(
    normalise(toJsonString(CancelSosResponseSchema, duressAnswer), duress, order(duress)),
    normalise(toJsonString(CancelSosResponseSchema, realAnswer), real, order(real)),
  );
  assert.equal(await ownerSurfaces(duress, order(duress)), await ownerSurfaces(real, order(real)));

  // Responders: the real one is over; the duress one is open, flagged, and escalated at once.
  const realSeen = (await real.primary.support.getIncident({ incidentId: real.incidentId }))
    .incident!;
  assert.equal(realSeen.status, IncidentStatus.CANCELLED);
  const seen = (await duress.primary.support.getIncident({ incidentId: duress.incidentId }))
    .incident!;
  assert.equal(seen.status, IncidentStatus.OPEN);
  assert.ok(seen.duressCancelledAt);
  assert.equal(seen.escalation?.stopped, false);
  assert.ok(seen.locationShare?.lastLocation, 'responders keep the location');
  const { incident: asMember } = await duress.member.support.getIncident({
    incidentId: duress.incidentId,
  });
  assert.equal(
    asMember?.status,
    IncidentStatus.OPEN,
    'the next step alerted the rest of the circle',
  );
  const { entries } = await duress.primary.support.getIncidentTimeline({
    incidentId: duress.incidentId,
  });
  const cancelled = entries.find((e) => e.event.case === 'cancelled');
  assert.equal(cancelled?.event.case === 'cancelled' && cancelled.event.value.duress, true);
  const { incidents: alertedList } = await duress.primary.support.listIncidents({
    statuses: [IncidentStatus.OPEN],
  });
  assert.deepEqual(
    alertedList.map((i) => i.incidentId),
    [duress.incidentId],
  );

  // Every event after the duress cancel is silent; none of them was the owner's to see.
  const events = (await s.events()).filter(
    (e) =>
      'value' in e &&
      e.value &&
      'incidentId' in e.value &&
      e.value.incidentId === duress.incidentId,
  );
  const at = events.findIndex((e) => e.case === 'supportDuressCancelled');
  assert.ok(at > 0);
  const later = events.slice(at + 1);
  assert.ok(later.some((e) => e.case === 'supportEscalated'));
  for (const e of later) assert.equal((e.value as { silent?: boolean }).silent, true, e.case);
  assert.equal(
    events.some((e) => e.case === 'supportResolved'),
    false,
  );

  // More escalation and a responder's actions change nothing the owner can read.
  await s.advance(5 * MINUTE);
  await runLadders(s.app);
  await duress.primary.support.claimResponse({ incidentId: duress.incidentId });
  await duress.member.support.addIncidentNote({
    incidentId: duress.incidentId,
    text: 'police called',
  });
  await s.advance(0);
  assert.equal(await ownerSurfaces(duress, order(duress)), await ownerSurfaces(real, order(real)));

  // A responder's Acknowledge stops the resumed ladder; only the claimer may resolve.
  await duress.member.support.acknowledge({ incidentId: duress.incidentId });
  const stopped = (await duress.member.support.getIncident({ incidentId: duress.incidentId }))
    .incident!;
  assert.equal(stopped.escalation?.stopped, true);
  assert.equal(
    await codeOf(
      duress.member.support.resolve({
        incidentId: duress.incidentId,
        kind: ResolutionKind.ALL_CLEAR,
        reason: 'x',
      }),
    ),
    Code.PermissionDenied,
  );
  await duress.primary.support.resolve({
    incidentId: duress.incidentId,
    kind: ResolutionKind.ALL_CLEAR,
    reason: 'she is safe',
  });
  assert.equal(await ownerSurfaces(duress, order(duress)), await ownerSurfaces(real, order(real)));

  // While it was open for responders, RaiseSos opened a new SOS, as after a real cancel.
  const again = await duress.owner.support.raiseSos({ circleIds: [duress.circleId] });
  assert.notEqual(again.incident?.incidentId, duress.incidentId);
});

test('CancelSos: responders are refused, a wrong PIN is counted and too many refuse every PIN, the SOS staying open', async () => {
  const w = await raised();
  assert.equal(
    await codeOf(w.primary.support.cancelSos({ incidentId: w.incidentId, pin: CANCEL })),
    Code.PermissionDenied,
  );
  assert.equal(
    await codeOf(w.other.support.cancelSos({ incidentId: w.incidentId, pin: CANCEL })),
    Code.NotFound,
  );
  // With a cancel PIN set, Resolve is not the owner's way out.
  assert.equal(
    await codeOf(
      w.owner.support.resolve({
        incidentId: w.incidentId,
        kind: ResolutionKind.FALSE_ALARM,
        reason: 'x',
      }),
    ),
    Code.FailedPrecondition,
  );
  for (let i = 0; i < 5; i++) {
    assert.equal(
      await codeOf(w.owner.support.cancelSos({ incidentId: w.incidentId, pin: '0000' })),
      Code.PermissionDenied,
    );
  }
  assert.equal(
    await codeOf(w.owner.support.cancelSos({ incidentId: w.incidentId, pin: CANCEL })),
    Code.ResourceExhausted,
  );
  const { incident } = await w.owner.support.getIncident({ incidentId: w.incidentId });
  assert.equal(incident?.status, IncidentStatus.OPEN);
  assert.deepEqual((await w.owner.support.getSafetyPinStatus({})).status?.cancelPinSet, true);
});

test('location reaches the owner and the alerted only, and no event but support.location_shared', async () => {
  const w = await raised();
  const { incident } = await w.primary.support.getIncident({ incidentId: w.incidentId });
  assert.equal(incident?.locationShare?.lastLocation?.point?.latitude, location.point.latitude);
  assert.equal(
    await codeOf(w.member.support.getIncident({ incidentId: w.incidentId })),
    Code.NotFound,
  );
  const moved = { point: { latitude: 38.73, longitude: -9.15 } };
  const { locationShare } = await w.owner.support.shareLocation({
    incidentId: w.incidentId,
    location: moved,
  });
  assert.equal(locationShare?.lastLocation?.point?.latitude, 38.73);
  assert.equal(
    await codeOf(w.primary.support.shareLocation({ incidentId: w.incidentId, location: moved })),
    Code.PermissionDenied,
  );
  await w.owner.support.stopSharingLocation({ incidentId: w.incidentId });
  assert.equal(
    await codeOf(w.owner.support.stopSharingLocation({ incidentId: w.incidentId })),
    Code.FailedPrecondition,
  );
  for (const e of await s.events()) {
    if (e.case === 'supportLocationShared') continue;
    const text = toJsonString(EnvelopeSchema, {
      $typeName: 'kith.events.v1.Envelope',
      payload: e,
    } as never);
    assert.ok(!text.includes('38.7'), `${e.case} carries no coordinates`);
  }
  await w.owner.support.cancelSos({ incidentId: w.incidentId, pin: CANCEL });
});

test('30 days after the end exact locations and device context are gone everywhere; after a year the incident', async () => {
  const { purgeExpiredIncidentData } = await import('./retention.js');
  const w = await raised();
  await w.owner.support.shareLocation({
    incidentId: w.incidentId,
    location: { point: { latitude: 38.7, longitude: -9.1 } },
    device: { batteryPercent: 12 },
  });
  await w.owner.support.cancelSos({ incidentId: w.incidentId, pin: CANCEL });
  await s.advance(31 * 24 * 60 * MINUTE);
  await purgeExpiredIncidentData(s.app);
  for (const viewer of [w.owner, w.primary]) {
    const { incident } = await viewer.support.getIncident({ incidentId: w.incidentId });
    assert.equal(incident?.locationShare?.lastLocation, undefined);
    assert.ok(incident?.locationShare?.startedAt, 'that sharing happened stays');
    assert.equal(incident?.device, undefined);
    const { entries } = await viewer.support.getIncidentTimeline({ incidentId: w.incidentId });
    const shared = entries.filter((e) => e.event.case === 'locationShared');
    assert.equal(shared.length, 2);
    for (const e of shared) {
      assert.equal(e.event.case === 'locationShared' && e.event.value.lastLocation, undefined);
    }
  }
  await s.advance(335 * 24 * 60 * MINUTE);
  await purgeExpiredIncidentData(s.app);
  assert.equal(
    await codeOf(w.owner.support.getIncident({ incidentId: w.incidentId })),
    Code.NotFound,
  );
});
