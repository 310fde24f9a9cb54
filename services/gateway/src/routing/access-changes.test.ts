import assert from 'node:assert/strict';
import { test } from 'vitest';
import { create } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { EnvelopeSchema } from '@kith/gen/kith/events/v1/events_pb.js';
import { PostAudience_Kind } from '@kith/gen/kith/events/v1/post_events_pb.js';
import { eventType } from '@kith/runtime';
import { ACCESS_EVENT_SUBJECTS, accessChange } from './access-changes.js';

const ana = '01900000-0000-7000-8000-0000000000a1';
const bo = '01900000-0000-7000-8000-0000000000b0';
const c1 = '01900000-0000-7000-8000-0000000000c1';
const c2 = '01900000-0000-7000-8000-0000000000c2';
const postId = '01900000-0000-7000-8000-0000000000d1';

type Payload = NonNullable<MessageInitShape<typeof EnvelopeSchema>['payload']>;

function change(payload: Payload) {
  return accessChange(create(EnvelopeSchema, { id: postId, type: 'test', payload }));
}

const pub = { kind: PostAudience_Kind.PUBLIC };
const followers = { kind: PostAudience_Kind.FOLLOWERS };
const circles = (...circleIds: string[]) => ({ kind: PostAudience_Kind.CIRCLES, circleIds });
const edit = (audience: object, previousAudience?: object) =>
  change({
    case: 'postEdited',
    value: { postId, authorId: ana, revision: 2, audience, previousAudience },
  });

test('an edit that narrows the audience has the post’s holders authorised again, at once', () => {
  const now = { rechecks: [{ of: 'topic', key: `post.${postId}` }], lagging: false };
  assert.deepEqual(edit(followers, pub), now);
  assert.deepEqual(edit(circles(c1), circles(c1, c2)), now);
  // post sets previous_audience on every edit: the same audience ends nobody's access.
  assert.equal(edit(pub, pub), undefined);
  assert.equal(edit(circles(c2, c1), circles(c1, c2)), undefined);
  assert.equal(edit(pub), undefined);
});

test('blocks, unfollows, ended memberships, hidden and actioned posts re-check post topics, more than once', () => {
  const posts = (...userIds: string[]) => ({
    rechecks: userIds.map((userId) => ({ of: 'user', userId, kind: 'post' })),
    lagging: true,
  });
  // Either side of a block stops seeing the other's posts.
  assert.deepEqual(
    change({ case: 'userBlocked', value: { blockerId: ana, blockedId: bo } }),
    posts(ana, bo),
  );
  assert.deepEqual(
    change({ case: 'userUnfollowed', value: { followerId: bo, followeeId: ana } }),
    posts(bo),
  );
  assert.deepEqual(
    change({ case: 'circleMemberRemoved', value: { circleId: c1, userId: bo } }),
    posts(bo),
  );
  assert.deepEqual(
    change({ case: 'circleMemberLeft', value: { circleId: c1, userId: bo } }),
    posts(bo),
  );
  assert.deepEqual(
    change({ case: 'circlePostHidden', value: { circleId: c1, postId, authorId: ana } }),
    { rechecks: [{ of: 'topic', key: `post.${postId}` }], lagging: true },
  );
  assert.deepEqual(
    change({
      case: 'moderationContentActioned',
      value: { subject: { kind: { case: 'postId', value: postId } }, userId: ana },
    }),
    { rechecks: [{ of: 'topic', key: `post.${postId}` }], lagging: true },
  );
  // Changes that widen access, or say nothing about it.
  assert.equal(
    change({
      case: 'moderationContentActioned',
      value: { subject: { kind: { case: 'circleId', value: c1 } }, userId: ana },
    }),
    undefined,
  );
  assert.equal(
    change({ case: 'userUnblocked', value: { blockerId: ana, blockedId: bo } }),
    undefined,
  );
  assert.equal(
    change({ case: 'userFollowed', value: { followerId: bo, followeeId: ana } }),
    undefined,
  );
  assert.equal(change({ case: 'postLiked', value: { postId, userId: bo } }), undefined);
});

test('the watched subjects are exactly those of the events that change access', () => {
  const cases = [
    'postEdited',
    'userBlocked',
    'userUnfollowed',
    'circleMemberLeft',
    'circleMemberRemoved',
    'circlePostHidden',
    'moderationContentActioned',
  ] as const;
  assert.deepEqual(
    [...ACCESS_EVENT_SUBJECTS].sort(),
    cases.map((c) => `kith.events.${eventType(c)}`).sort(),
  );
});
