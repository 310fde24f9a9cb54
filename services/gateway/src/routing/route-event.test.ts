import assert from 'node:assert/strict';
import { test } from 'vitest';
import { create, toJsonString } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { CircleRole } from '@kith/gen/kith/circle/v1/types_pb.js';
import { EnvelopeSchema } from '@kith/gen/kith/events/v1/events_pb.js';
import {
  CircleMemberChange,
  RelationshipChange,
  ServerFrameSchema,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import { routeEvent } from './route-event.js';

const ana = '01900000-0000-7000-8000-0000000000a1';
const bo = '01900000-0000-7000-8000-0000000000b0';
const circleId = '01900000-0000-7000-8000-0000000000c1';

type Payload = NonNullable<MessageInitShape<typeof EnvelopeSchema>['payload']>;

function route(payload: Payload, actor = ana) {
  const envelope = create(EnvelopeSchema, {
    id: '01900000-0000-7000-8000-0000000000e1',
    type: 'test.event',
    occurredAt: timestampNow(),
    actor: { kind: { case: 'userId', value: actor } },
    schemaVersion: 1,
    source: 'test',
    payload,
  });
  return routeEvent(envelope);
}

/** Where each frame goes (store key) and what it says, as the socket would see it in JSON. */
function seen(payload: Payload, actor?: string) {
  return route(payload, actor).frames.map((r) => [
    r.topic.key,
    toJsonString(ServerFrameSchema, r.frame),
  ]);
}

test('a removal reaches the circle and the member, never saying who removed them, why or the ban', () => {
  const frames = seen({
    case: 'circleMemberRemoved',
    value: {
      circleId,
      userId: bo,
      removedByUserId: ana,
      banned: true,
      reason: 'spam links',
      banExpiresAt: timestampNow(),
      version: 4n,
    },
  });
  assert.deepEqual(
    frames.map(([key]) => key),
    [`circle.${circleId}`, `user.${bo}`],
  );
  for (const [, json] of frames) {
    assert.doesNotMatch(json!, new RegExp(`${ana}|spam|ban`, 'i'));
    assert.match(json!, /CIRCLE_MEMBER_CHANGE_REMOVED/);
  }
  const [circleFrame] = route({
    case: 'circleMemberRemoved',
    value: { circleId, userId: bo, removedByUserId: ana, version: 4n },
  }).frames;
  assert.equal(circleFrame!.frame.topic, `circle:${circleId}`);
  assert.equal(circleFrame!.frame.type, 'circle_member');
  assert.equal(
    circleFrame!.frame.payload.case === 'circleMember' && circleFrame!.frame.payload.value.change,
    CircleMemberChange.REMOVED,
  );
});

test('safety changes carry the flags, never the quiet hours', () => {
  const frames = seen({
    case: 'circleSafetyRoleChanged',
    value: {
      circleId,
      userId: bo,
      safety: {
        responder: true,
        primaryContact: true,
        quietHoursEnabled: true,
        quietHours: { startMinute: 1320, endMinute: 420, timeZone: 'Europe/Oslo' },
      },
      version: 2n,
    },
  });
  for (const [, json] of frames) {
    assert.match(json!, /"responder":true/);
    assert.doesNotMatch(json!, /quiet|Oslo|1320/i);
  }
});

test('a notification reaches its recipient only, without the recipient id, anonymous where the contract says', () => {
  const routing = route({
    case: 'userNotificationCreated',
    value: {
      notificationId: '01900000-0000-7000-8000-0000000000f1',
      recipientId: bo,
      notificationType: NotificationType.CIRCLE_REMOVED,
      groupKey: 'circle-removed',
      actorId: ana,
      subject: { kind: { case: 'circleId', value: circleId } },
      preview: 'Removed from Night shift',
    },
  });
  assert.deepEqual(
    routing.frames.map((r) => [r.topic.key, r.frame.topic, r.frame.ackRequired]),
    [[`notifications.${bo}`, 'notifications', false]],
  );
  const json = toJsonString(ServerFrameSchema, routing.frames[0]!.frame);
  assert.doesNotMatch(json, new RegExp(`${ana}|${bo}`));

  const follow = route({
    case: 'userNotificationCreated',
    value: {
      notificationId: '01900000-0000-7000-8000-0000000000f2',
      recipientId: bo,
      notificationType: NotificationType.FOLLOW,
      actorId: ana,
    },
  }).frames[0]!.frame;
  assert.equal(follow.payload.case === 'notification' && follow.payload.value.actorUserId, ana);
});

test('incident alerts are ack_required; the owner’s own missed check-in is not', () => {
  const alert = (
    type: NotificationType,
    subject: { kind: { case: 'incidentId' | 'checkInId'; value: string } },
  ) =>
    route({
      case: 'userNotificationCreated',
      value: {
        notificationId: '01900000-0000-7000-8000-0000000000f3',
        recipientId: bo,
        notificationType: type,
        subject,
      },
    }).frames[0]!.frame.ackRequired;
  const incident = { kind: { case: 'incidentId' as const, value: circleId } };
  const checkIn = { kind: { case: 'checkInId' as const, value: circleId } };
  assert.equal(alert(NotificationType.SOS, incident), true);
  assert.equal(alert(NotificationType.DURESS_ALERT, incident), true);
  assert.equal(alert(NotificationType.CHECK_IN_MISSED, incident), true);
  assert.equal(alert(NotificationType.CHECK_IN_MISSED, checkIn), false);
  assert.equal(alert(NotificationType.LIKE, incident), false);
});

test('relationship changes reach only the one who made them', () => {
  const to = (payload: Payload, actor?: string) =>
    route(payload, actor).frames.map((r) => [
      r.topic.key,
      r.frame.payload.case === 'relationship' && r.frame.payload.value.change,
      r.frame.payload.case === 'relationship' && r.frame.payload.value.userId,
    ]);
  assert.deepEqual(to({ case: 'userBlocked', value: { blockerId: ana, blockedId: bo } }), [
    [`user.${ana}`, RelationshipChange.BLOCKED, bo],
  ]);
  const unfollow = { case: 'userUnfollowed' as const, value: { followerId: ana, followeeId: bo } };
  assert.deepEqual(to(unfollow, ana), [[`user.${ana}`, RelationshipChange.UNFOLLOWED, bo]]);
  // The followee removing a follower.
  assert.deepEqual(to(unfollow, bo), [[`user.${bo}`, RelationshipChange.FOLLOWER_REMOVED, ana]]);
  // Done by the system (neither of them): no frame.
  assert.deepEqual(to(unfollow, '01900000-0000-7000-8000-000000000999'), []);
  assert.deepEqual(
    to({
      case: 'userFollowed',
      value: { followerId: bo, followeeId: ana, viaFollowRequest: true },
    }),
    [[`user.${ana}`, RelationshipChange.FOLLOW_REQUEST_ACCEPTED, bo]],
  );
});

test('events outside the served table reach no socket; erasure purges the user’s own topics', () => {
  assert.deepEqual(
    route({ case: 'authUserRegistered', value: { userId: bo, email: 'bo@example.com' } }).frames,
    [],
  );
  assert.deepEqual(
    route({ case: 'circleInviteCreated', value: { circleId, inviteeUserId: bo } }).frames,
    [],
  );
  assert.deepEqual(
    route({ case: 'circleMemberJoined', value: { circleId, userId: bo, role: CircleRole.MEMBER } })
      .purge,
    [],
  );
  assert.deepEqual(route({ case: 'userErased', value: { userId: bo } }), {
    frames: [],
    purge: [`user.${bo}`, `notifications.${bo}`],
  });
});
