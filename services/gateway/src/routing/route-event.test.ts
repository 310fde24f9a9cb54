import assert from 'node:assert/strict';
import { test } from 'vitest';
import { create, toJsonString } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { CircleRole } from '@kith/gen/kith/circle/v1/types_pb.js';
import { EnvelopeSchema } from '@kith/gen/kith/events/v1/events_pb.js';
import { PostAudience_Kind, PostDeletionReason } from '@kith/gen/kith/events/v1/post_events_pb.js';
import {
  CircleMemberChange,
  PostChange,
  RelationshipChange,
  ServerFrameSchema,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import { routeEvent } from './route-event.js';

const ana = '01900000-0000-7000-8000-0000000000a1';
const bo = '01900000-0000-7000-8000-0000000000b0';
const circleId = '01900000-0000-7000-8000-0000000000c1';
const otherCircle = '01900000-0000-7000-8000-0000000000c2';
const postId = '01900000-0000-7000-8000-0000000000d1';
const parentId = '01900000-0000-7000-8000-0000000000d2';
const rootId = '01900000-0000-7000-8000-0000000000d3';
const quotedId = '01900000-0000-7000-8000-0000000000d4';

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

// The post rows: frames carry ids, changes, revisions, counts and versions, never content.

/** Bus fields of the post events that no frame may carry, as they would appear in JSON. */
const POST_SECRETS =
  /hello world|#kith|kith-tag|content warning|"en"|sha|mention|audience|reason|MODERATION/i;

/** Each post frame as [store key, change or counters, version, revision]. */
function postFrames(payload: Payload, actor?: string) {
  return route(payload, actor).frames.map((r) => {
    const p = r.frame.payload;
    assert.equal(r.frame.topic, r.topic.name);
    assert.equal(r.frame.type, p.case === 'postCounts' ? 'post_counts' : 'post');
    assert.doesNotMatch(toJsonString(ServerFrameSchema, r.frame), POST_SECRETS);
    if (p.case === 'post') {
      const v = p.value;
      return [r.topic.key, PostChange[v.change], v.postId, v.revision, v.version];
    }
    if (p.case === 'postCounts') {
      const { replyCount, likeCount, repostCount, quoteCount, version } = p.value;
      const set = Object.entries({ replyCount, likeCount, repostCount, quoteCount }).filter(
        ([, n]) => n !== undefined,
      );
      return [r.topic.key, Object.fromEntries(set), p.value.postId, version];
    }
    throw new Error(`unexpected ${p.case}`);
  });
}

const content = {
  text: 'hello world #kith',
  language: 'en',
  hashtags: ['kith-tag'],
  contentWarning: 'content warning',
  mentionedUserIds: [bo],
  media: [{ mediaId: quotedId, sha256: `${'a'.repeat(43)}=` }],
};
const circles = (...ids: string[]) => ({ kind: PostAudience_Kind.CIRCLES, circleIds: ids });

test('post.created reaches the circles of its audience only; a quote moves the quoted post’s count', () => {
  const created = (audience: object, quote = {}) =>
    postFrames({
      case: 'postCreated',
      value: { postId, authorId: ana, audience, ...content, version: 1n, ...quote },
    });
  // No live home timeline: public, followers-only and mentioned-only posts make no frame.
  for (const kind of [
    PostAudience_Kind.PUBLIC,
    PostAudience_Kind.FOLLOWERS,
    PostAudience_Kind.MENTIONED_ONLY,
  ]) {
    assert.deepEqual(created({ kind }), []);
  }
  assert.deepEqual(created(circles(circleId, otherCircle)), [
    [`circle.${circleId}`, 'CREATED', postId, 1, 1n],
    [`circle.${otherCircle}`, 'CREATED', postId, 1, 1n],
  ]);
  const [circleFrame] = route({
    case: 'postCreated',
    value: { postId, authorId: ana, audience: circles(circleId), ...content, version: 1n },
  }).frames;
  assert.equal(
    circleFrame!.frame.payload.case === 'post' && circleFrame!.frame.payload.value.authorUserId,
    ana,
  );
  assert.deepEqual(
    created(
      { kind: PostAudience_Kind.PUBLIC },
      {
        quotePostId: quotedId,
        quotedPostAuthorId: bo,
        quotedPostQuoteCount: 3,
        quotedPostVersion: 9n,
      },
    ),
    [[`post.${quotedId}`, { quoteCount: 3 }, quotedId, 9n]],
  );
});

test('post.edited: EDITED on the post and the circles still in its audience, DELETED on the circles dropped', () => {
  const edited = (audience: object, previousAudience: object) =>
    postFrames({
      case: 'postEdited',
      value: {
        postId,
        authorId: ana,
        revision: 3,
        audience,
        previousAudience,
        ...content,
        addedMentionedUserIds: [bo],
        version: 7n,
      },
    });
  const pub = { kind: PostAudience_Kind.PUBLIC };
  assert.deepEqual(edited(pub, pub), [[`post.${postId}`, 'EDITED', postId, 3, 7n]]);
  assert.deepEqual(edited({ kind: PostAudience_Kind.FOLLOWERS }, pub), [
    [`post.${postId}`, 'EDITED', postId, 3, 7n],
  ]);
  assert.deepEqual(edited(circles(circleId), circles(circleId, otherCircle)), [
    [`post.${postId}`, 'EDITED', postId, 3, 7n],
    [`circle.${circleId}`, 'EDITED', postId, 3, 7n],
    [`circle.${otherCircle}`, 'DELETED', postId, 3, 7n],
  ]);
  // A reply says which thread it is in.
  const [reply] = route({
    case: 'postEdited',
    value: {
      postId,
      authorId: ana,
      revision: 2,
      audience: pub,
      replyToPostId: parentId,
      rootPostId: rootId,
    },
  }).frames;
  const value = reply!.frame.payload.case === 'post' ? reply!.frame.payload.value : undefined;
  assert.deepEqual([value?.replyToPostId, value?.rootPostId], [parentId, rootId]);
});

test('post.deleted: DELETED on the post and its circles, new counts on its parent and quoted post, never why', () => {
  for (const reason of [PostDeletionReason.AUTHOR, PostDeletionReason.MODERATION]) {
    assert.deepEqual(
      postFrames(
        {
          case: 'postDeleted',
          value: {
            postId,
            authorId: ana,
            reason,
            audience: circles(circleId),
            replyToPostId: parentId,
            rootPostId: rootId,
            version: 5n,
            quotePostId: quotedId,
            parentReplyCount: 1,
            parentVersion: 12n,
            quotedPostQuoteCount: 0,
            quotedPostVersion: 4n,
          },
        },
        bo,
      ),
      [
        [`post.${postId}`, 'DELETED', postId, 0, 5n],
        [`circle.${circleId}`, 'DELETED', postId, 0, 5n],
        [`post.${parentId}`, { replyCount: 1 }, parentId, 12n],
        // A count that fell to 0 is still said.
        [`post.${quotedId}`, { quoteCount: 0 }, quotedId, 4n],
      ],
    );
  }
  assert.deepEqual(
    postFrames({
      case: 'postDeleted',
      value: {
        postId,
        authorId: ana,
        reason: PostDeletionReason.AUTHOR,
        audience: { kind: PostAudience_Kind.FOLLOWERS },
        version: 2n,
      },
    }),
    [[`post.${postId}`, 'DELETED', postId, 0, 2n]],
  );
});

test('post.comment_created: the reply CREATED on its parent and thread root, and the parent’s new reply count', () => {
  const reply = (root: string, quote = {}) =>
    postFrames({
      case: 'postCommentCreated',
      value: {
        postId,
        authorId: bo,
        parentPostId: parentId,
        parentAuthorId: ana,
        rootPostId: root,
        audience: { kind: PostAudience_Kind.PUBLIC },
        ...content,
        version: 1n,
        parentReplyCount: 4,
        parentVersion: 8n,
        ...quote,
      },
    });
  assert.deepEqual(reply(rootId), [
    [`post.${parentId}`, 'CREATED', postId, 1, 1n],
    [`post.${parentId}`, { replyCount: 4 }, parentId, 8n],
    [`post.${rootId}`, 'CREATED', postId, 1, 1n],
  ]);
  // A direct reply to the thread's first post: one CREATED there.
  assert.deepEqual(
    reply(parentId, { quotePostId: quotedId, quotedPostQuoteCount: 2, quotedPostVersion: 3n }),
    [
      [`post.${parentId}`, 'CREATED', postId, 1, 1n],
      [`post.${parentId}`, { replyCount: 4 }, parentId, 8n],
      [`post.${quotedId}`, { quoteCount: 2 }, quotedId, 3n],
    ],
  );
  const [created] = route({
    case: 'postCommentCreated',
    value: { postId, authorId: bo, parentPostId: parentId, rootPostId: rootId, version: 1n },
  }).frames;
  const value = created!.frame.payload.case === 'post' ? created!.frame.payload.value : undefined;
  assert.deepEqual(
    [value?.authorUserId, value?.replyToPostId, value?.rootPostId],
    [bo, parentId, rootId],
  );
});

test('likes and reposts move one counter on the post’s topic and never say who', () => {
  const liker = '01900000-0000-7000-8000-0000000000f9';
  const counted = (payload: Payload) => {
    const frames = postFrames(payload, liker);
    for (const r of route(payload, liker).frames) {
      assert.doesNotMatch(toJsonString(ServerFrameSchema, r.frame), new RegExp(`${liker}|${ana}`));
    }
    return frames;
  };
  const edge = { postId, postAuthorId: ana, userId: liker };
  assert.deepEqual(counted({ case: 'postLiked', value: { ...edge, likeCount: 5, version: 3n } }), [
    [`post.${postId}`, { likeCount: 5 }, postId, 3n],
  ]);
  assert.deepEqual(
    counted({ case: 'postUnliked', value: { ...edge, likeCount: 4, version: 4n } }),
    [[`post.${postId}`, { likeCount: 4 }, postId, 4n]],
  );
  assert.deepEqual(
    counted({ case: 'postReposted', value: { ...edge, repostCount: 1, version: 5n } }),
    [[`post.${postId}`, { repostCount: 1 }, postId, 5n]],
  );
  assert.deepEqual(
    counted({ case: 'postUnreposted', value: { ...edge, repostCount: 0, version: 6n } }),
    [[`post.${postId}`, { repostCount: 0 }, postId, 6n]],
  );
  // A mention is a notification only.
  assert.deepEqual(
    route({ case: 'postMentioned', value: { postId, authorId: ana, mentionedUserId: bo } }).frames,
    [],
  );
});
