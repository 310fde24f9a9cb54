import assert from 'node:assert/strict';
import { test } from 'vitest';
import { create, toBinary, toJsonString } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { EnvelopeSchema } from '@kith/gen/kith/events/v1/events_pb.js';
import { ResponderChange, ServerFrameSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import {
  CheckInStatus,
  DeliveryChannel,
  EmergencyKind,
  EscalationTarget,
  HelpType,
  IncidentKind,
  IncidentStatus,
  ResolutionKind,
  ResponseKind,
  Severity,
} from '@kith/gen/kith/support/v1/types_pb.js';
import { routeEvent } from './route-event.js';

// The support rows of realtime.proto's table, routed from bus events as support publishes them.

const owner = '01900000-0000-7000-8000-0000000000a1';
const bo = '01900000-0000-7000-8000-0000000000b0';
const cy = '01900000-0000-7000-8000-0000000000c0';
const incidentId = '01900000-0000-7000-8000-0000000000d1';
const checkInId = '01900000-0000-7000-8000-0000000000e2';
const at = timestampFromDate(new Date('2026-12-07T10:00:00Z'));

type Payload = NonNullable<MessageInitShape<typeof EnvelopeSchema>['payload']>;

function route(payload: Payload, actor = owner) {
  return routeEvent(
    create(EnvelopeSchema, {
      id: '01900000-0000-7000-8000-0000000000f1',
      type: 'support.test',
      occurredAt: at,
      actor: { kind: { case: 'userId', value: actor } },
      schemaVersion: 1,
      source: 'support',
      payload,
    }),
  ).frames;
}

/** Each frame as [store key, JSON the socket would see]. */
function seen(payload: Payload, actor?: string): [string, string][] {
  return route(payload, actor).map((r) => [r.topic.key, toJsonString(ServerFrameSchema, r.frame)]);
}

const both = [`incident.${incidentId}`, `responders.${incidentId}`];

test('alert_raised opens the incident on both topics: kind, help type, severity, how many; never who', () => {
  const frames = route({
    case: 'supportAlertRaised',
    value: {
      incidentId,
      kind: IncidentKind.HELP_REQUEST,
      ownerId: owner,
      helpType: HelpType.CALL_ME,
      severity: Severity.URGENT,
      notifiedUserIds: [bo, cy],
      bypassQuietHours: true,
      version: 1n,
      message: 'stuck at the station',
    },
  });
  assert.deepEqual(
    frames.map((r) => [r.topic.key, r.frame.topic, r.frame.type, r.frame.ackRequired]),
    [
      [both[0], `incident:${incidentId}`, 'incident', false],
      [both[1], `responders:${incidentId}`, 'incident_responder', false],
    ],
  );
  const [toOwner, toResponders] = frames.map((r) => r.frame.payload);
  const event = toOwner?.case === 'incident' ? toOwner.value : undefined;
  assert.equal(event?.version, 1n);
  assert.deepEqual(
    event?.change.case === 'opened' && [
      event.change.value.kind,
      event.change.value.helpType,
      event.change.value.severity,
      event.change.value.notifiedCount,
    ],
    [IncidentKind.HELP_REQUEST, HelpType.CALL_ME, Severity.URGENT, 2],
  );
  // The responders see the same change, wrapped, without the duress flag.
  assert.equal(toResponders?.case, 'incidentResponder');
  if (toResponders?.case === 'incidentResponder') {
    assert.equal(toResponders.value.duress, false);
    assert.deepEqual(toResponders.value.event, event);
  }
  for (const [, json] of seen({
    case: 'supportAlertRaised',
    value: { incidentId, ownerId: owner, notifiedUserIds: [bo], message: 'stuck', version: 1n },
  })) {
    assert.doesNotMatch(json, new RegExp(`${bo}|stuck|quiet`, 'i'));
  }
});

test('an SOS also alerts each user it reached on their own "user" topic (ack_required), never the owner or a help request’s', () => {
  const sos = route({
    case: 'supportAlertRaised',
    value: {
      incidentId,
      kind: IncidentKind.SOS,
      ownerId: owner,
      // The owner and a repeated id are not alerted twice (nor the owner at all).
      notifiedUserIds: [bo, cy, owner, bo],
      bypassQuietHours: true,
      version: 1n,
      message: 'car crash on the A4',
      emergencyKind: EmergencyKind.MEDICAL,
    },
  });
  assert.deepEqual(
    sos.map((r) => [r.topic.key, r.frame.topic, r.frame.type, r.frame.ackRequired]),
    [
      [both[0], `incident:${incidentId}`, 'incident', false],
      [both[1], `responders:${incidentId}`, 'incident_responder', false],
      [`user.${bo}`, 'user', 'incident_alert', true],
      [`user.${cy}`, 'user', 'incident_alert', true],
    ],
  );
  for (const r of sos.slice(2)) {
    assert.deepEqual(
      r.frame.payload.case === 'incidentAlert' && {
        incidentId: r.frame.payload.value.incidentId,
        kind: r.frame.payload.value.kind,
        owner: r.frame.payload.value.ownerUserId,
        emergencyKind: r.frame.payload.value.emergencyKind,
        version: r.frame.payload.value.version,
      },
      {
        incidentId,
        kind: IncidentKind.SOS,
        owner,
        emergencyKind: EmergencyKind.MEDICAL,
        version: 1n,
      },
    );
    // Never the message (GetIncident has it, withheld once moderation hides it), nor who else.
    const json = toJsonString(ServerFrameSchema, r.frame);
    assert.doesNotMatch(json, /crash|quiet/i);
    assert.doesNotMatch(json, new RegExp(r.topic.key === `user.${bo}` ? cy : bo));
  }
  // A help request's and a missed check-in's alerts depend on the recipients' rules (quiet
  // hours, mutes, filters): they come as notifications only.
  for (const kind of [IncidentKind.HELP_REQUEST, IncidentKind.MISSED_CHECK_IN]) {
    const frames = route({
      case: 'supportAlertRaised',
      value: { incidentId, kind, ownerId: owner, notifiedUserIds: [bo, cy], version: 1n },
    });
    assert.deepEqual(
      frames.map((r) => r.topic.key),
      both,
    );
  }
});
test('acknowledged, responded, claimed, escalated, notes and locations reach both topics, without recipients, notes or devices', () => {
  const changes = (payload: Payload) =>
    route(payload).map((r) => {
      const p = r.frame.payload;
      const event =
        p.case === 'incident'
          ? p.value
          : p.case === 'incidentResponder'
            ? p.value.event
            : undefined;
      return [r.topic.key, event?.change.case, event?.version];
    });
  const facts = { incidentId, ownerId: owner, version: 3n };
  for (const [payload, change] of [
    [{ case: 'supportAcknowledged', value: { ...facts, responderId: bo } }, 'responder'],
    [
      {
        case: 'supportResponded',
        value: { ...facts, responderId: bo, response: ResponseKind.ON_MY_WAY, note: 'ten min' },
      },
      'responder',
    ],
    [
      { case: 'supportClaimed', value: { ...facts, responderId: bo, recipientUserIds: [cy] } },
      'responder',
    ],
    [
      {
        case: 'supportEscalated',
        value: {
          ...facts,
          step: 2,
          target: EscalationTarget.EMERGENCY_CONTACTS,
          notifiedUserIds: [cy],
          emergencyContactsNotified: 2,
        },
      },
      'escalated',
    ],
    [
      {
        case: 'supportNoteAdded',
        value: { ...facts, authorId: bo, text: 'on the bridge', recipientUserIds: [cy] },
      },
      'noteAdded',
    ],
    [
      {
        case: 'supportLocationShared',
        value: {
          ...facts,
          location: { point: { latitude: 48.85, longitude: 2.35 } },
          expiresAt: at,
          device: { batteryPercent: 12 },
        },
      },
      'locationUpdated',
    ],
    [{ case: 'supportLocationStopped', value: facts }, 'locationStopped'],
  ] as [Payload, string][]) {
    assert.deepEqual(changes(payload), [
      [both[0], change, 3n],
      [both[1], change, 3n],
    ]);
    for (const [, json] of seen(payload)) {
      assert.doesNotMatch(json, new RegExp(`${cy}|ten min|bridge|battery|silent`, 'i'));
    }
  }
  const [claimed] = route({
    case: 'supportClaimed',
    value: { ...facts, responderId: bo, recipientUserIds: [cy] },
  });
  assert.deepEqual(
    claimed!.frame.payload.case === 'incident' &&
      claimed!.frame.payload.value.change.case === 'responder' && [
        claimed!.frame.payload.value.change.value.responderUserId,
        claimed!.frame.payload.value.change.value.change,
      ],
    [bo, ResponderChange.CLAIMED],
  );
  // An escalation step counts the users and the emergency contacts it alerted, as support does.
  const [step] = route({
    case: 'supportEscalated',
    value: { ...facts, step: 2, notifiedUserIds: [cy], emergencyContactsNotified: 2 },
  });
  assert.equal(
    step!.frame.payload.case === 'incident' &&
      step!.frame.payload.value.change.case === 'escalated' &&
      step!.frame.payload.value.change.value.notifiedCount,
    3,
  );
});

test('a silent event reaches the responders only, with the duress flag, and never says silent', () => {
  const facts = { incidentId, ownerId: owner, version: 5n, silent: true };
  for (const payload of [
    { case: 'supportAcknowledged', value: { ...facts, responderId: bo } },
    { case: 'supportEscalated', value: { ...facts, step: 1, notifiedUserIds: [cy] } },
    { case: 'supportClaimed', value: { ...facts, responderId: bo } },
    { case: 'supportNoteAdded', value: { ...facts, authorId: bo } },
    { case: 'supportLocationStopped', value: facts },
    { case: 'supportResolved', value: { ...facts, status: IncidentStatus.RESOLVED } },
  ] as Payload[]) {
    const frames = route(payload);
    assert.deepEqual(
      frames.map((r) => r.topic.key),
      [both[1]],
      payload.case,
    );
    const p = frames[0]!.frame.payload;
    assert.equal(p.case === 'incidentResponder' && p.value.duress, true);
    assert.equal(p.case === 'incidentResponder' && p.value.event?.version, 5n);
    assert.doesNotMatch(toJsonString(ServerFrameSchema, frames[0]!.frame), /silent/i);
  }
});

test('duress_cancelled gives the owner’s topic the very bytes of a real cancel, the responders the duress notice', () => {
  const cancel = route({
    case: 'supportResolved',
    value: {
      incidentId,
      ownerId: owner,
      status: IncidentStatus.CANCELLED,
      resolvedByUserId: owner,
      recipientUserIds: [bo, cy],
      version: 4n,
    },
  });
  const duress = route({
    case: 'supportDuressCancelled',
    value: { incidentId, ownerId: owner, recipientUserIds: [bo, cy], version: 4n },
  });
  const ownerBytes = (frames: typeof cancel) =>
    frames
      .filter((r) => r.topic.kind === 'incident')
      .map((r) => {
        r.frame.seq = 9n;
        return Buffer.from(toBinary(ServerFrameSchema, r.frame)).toString('hex');
      });
  assert.equal(ownerBytes(cancel).length, 1);
  assert.deepEqual(ownerBytes(duress), ownerBytes(cancel));
  const closed = cancel[0]!.frame.payload;
  const change = closed.case === 'incident' ? closed.value.change : undefined;
  assert.deepEqual(change?.case === 'closed' && [change.value.status, change.value.resolution], [
    IncidentStatus.CANCELLED,
    ResolutionKind.UNSPECIFIED,
  ]);

  const notice = duress.find((r) => r.topic.kind === 'responders')!.frame.payload;
  assert.deepEqual(
    notice.case === 'incidentResponder' && [
      notice.value.incidentId,
      notice.value.duress,
      notice.value.event,
    ],
    [incidentId, true, undefined],
  );
  // A real cancel tells the responders it is over, without the flag.
  const cancelled = cancel.find((r) => r.topic.kind === 'responders')!.frame.payload;
  assert.equal(cancelled.case === 'incidentResponder' && cancelled.value.duress, false);
});

test('a resolve carries its kind; never who resolved it or for whom', () => {
  const frames = seen(
    {
      case: 'supportResolved',
      value: {
        incidentId,
        ownerId: owner,
        status: IncidentStatus.RESOLVED,
        resolution: ResolutionKind.ALL_CLEAR,
        resolvedByUserId: bo,
        recipientUserIds: [cy],
        version: 6n,
      },
    },
    bo,
  );
  assert.deepEqual(
    frames.map(([key]) => key),
    both,
  );
  for (const [, json] of frames) {
    assert.match(json, /INCIDENT_STATUS_RESOLVED/);
    assert.match(json, /RESOLUTION_KIND_ALL_CLEAR/);
    assert.doesNotMatch(json, new RegExp(`${bo}|${cy}`));
  }
});

test('check-in reminders and misses reach the owner’s "user" topic; receipts and requests make no frame', () => {
  const [reminded] = route({
    case: 'supportCheckInReminded',
    value: { checkInId, userId: owner, dueAt: at, graceUntil: at, version: 2n },
  });
  assert.equal(reminded!.topic.key, `user.${owner}`);
  assert.equal(reminded!.frame.type, 'check_in');
  const r = reminded!.frame.payload;
  assert.deepEqual(
    r.case === 'checkIn' && [
      r.value.checkInId,
      r.value.status,
      r.value.graceUntil,
      r.value.version,
    ],
    [checkInId, CheckInStatus.ACTIVE, at, 2n],
  );
  const [missed] = route({
    case: 'supportCheckInMissed',
    value: { checkInId, userId: owner, incidentId, circleIds: [cy], version: 3n },
  });
  const m = missed!.frame.payload;
  assert.deepEqual(
    [missed!.topic.key, m.case === 'checkIn' && [m.value.status, m.value.incidentId]],
    [`user.${owner}`, [CheckInStatus.MISSED, incidentId]],
  );

  assert.deepEqual(
    route({
      case: 'supportAlertDelivered',
      value: {
        incidentId,
        ownerId: owner,
        responderId: bo,
        channel: DeliveryChannel.SOCKET,
        version: 7n,
      },
    }),
    [],
  );
  assert.deepEqual(
    route({
      case: 'supportCheckInRequested',
      value: { checkInId, userId: bo, requestedByUserId: owner, circleId: cy },
    }),
    [],
  );
});
