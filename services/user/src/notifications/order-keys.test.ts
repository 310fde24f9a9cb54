import assert from 'node:assert/strict';
import { test } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { EnvelopeSchema } from '@kith/gen/kith/events/v1/events_pb.js';
import type { EventPayload } from '@kith/runtime';
import { uuidv7 } from 'uuidv7';
import { orderKeysOf } from './consumers.js';

const keys = (payload: EventPayload) => orderKeysOf(create(EnvelopeSchema, { payload }));

// The notification consumers apply events side by side; these keys are all that keeps the
// ones that must not pass each other in order.
test('events touching one user share a key; others do not; an escalation waits for all', () => {
  const [author, liker, other, member, circleId, postId] = Array.from({ length: 6 }, () =>
    uuidv7(),
  ) as [string, string, string, string, string, string];
  const liked = keys({
    case: 'postLiked',
    value: { postId, postAuthorId: author, userId: liker },
  });
  const unliked = keys({
    case: 'postUnliked',
    value: { postId, postAuthorId: author, userId: liker },
  });
  // The unlike deletes what the like recorded for the author: never before it.
  assert.deepEqual(liked, [author]);
  assert.deepEqual(unliked, [author]);
  // Two follows of one user join one group: the second waits for the first.
  const followed = (followerId: string) =>
    keys({ case: 'userFollowed', value: { followerId, followeeId: author } });
  assert.deepEqual(followed(liker), [author]);
  assert.deepEqual(followed(other), [author]);
  assert.deepEqual(
    keys({ case: 'userFollowed', value: { followerId: author, followeeId: other } }),
    [other],
  );

  // A member's circle quiet hours and the help requests that read them.
  assert.deepEqual(keys({ case: 'circleSafetyRoleChanged', value: { circleId, userId: member } }), [
    member,
  ]);
  assert.deepEqual(keys({ case: 'circleMemberLeft', value: { circleId, userId: member } }), [
    member,
  ]);
  const alerted = keys({
    case: 'supportAlertRaised',
    value: { incidentId: uuidv7(), ownerId: liker, notifiedUserIds: [member, other, liker] },
  });
  assert.deepEqual(alerted && [...alerted].sort(), [member, other].sort());

  assert.equal(keys({ case: 'supportEscalated', value: { incidentId: uuidv7() } }), undefined);
  // An event that notifies nobody waits for nothing.
  assert.deepEqual(keys({ case: 'userProfileUpdated', value: { userId: member } }), []);
});
