import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code, createClient } from '@connectrpc/connect';
import { NotificationService, NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { NotificationGroup } from '@kith/gen/kith/user/v1/notification_pb.js';
import { uuidv7 } from 'uuidv7';
// By path: the user package does not depend on the auth service; its harness issues the tokens.
import {
  codeOf,
  seedUser,
  startAuthHarness,
  startSession,
} from '../../../auth/src/testing/index.js';
import { harnessedUserModule, notificationHarness } from './testing/notification-harness.js';
import type { Member, NotificationHarness } from './testing/notification-harness.js';

const HOUR = 3_600_000;
let n: NotificationHarness;
let a: Member;
let b: Member;
let c: Member;
beforeAll(async () => {
  const user = harnessedUserModule();
  const h = await startAuthHarness({ modules: [user.module] });
  n = notificationHarness(
    h,
    user.app(),
    () => seedUser(h),
    async (userId) => (await startSession(h, { userId })).accessToken,
  );
  [a, b, c] = [await n.member(), await n.member(), await n.member()];
});
afterAll(async () => {
  await n?.stop();
});

async function like(postId: string, authorId: string, userId: string) {
  await n.publish('post', { case: 'postLiked', value: { postId, postAuthorId: authorId, userId } });
}
async function mention(recipientId: string, actorId: string, postId = uuidv7()) {
  await n.publish('post', {
    case: 'postMentioned',
    value: { postId, authorId: actorId, mentionedUserId: recipientId },
  });
  return postId;
}
const about = (groups: NotificationGroup[], id: string) =>
  groups.filter((g) => g.subject?.kind.value === id);

test('likes of one post within 12 hours form one group, newest actors first; later likes start another', async () => {
  const r = await n.member();
  const post = uuidv7();
  // Recorded when consumed: each settles before the clock moves.
  await like(post, r.userId, a.userId);
  await n.settle('post');
  n.h.clock.advance(HOUR);
  await like(post, r.userId, b.userId);
  await n.settle('post');
  let groups = about((await (await n.again(r)).notifications.listNotifications({})).groups, post);
  assert.equal(groups.length, 1);
  assert.equal(groups[0]!.type, NotificationType.LIKE);
  assert.equal(groups[0]!.actorCount, 2);
  assert.equal(groups[0]!.notificationCount, 2);
  assert.deepEqual(
    groups[0]!.sampleActors.map((s) => s.userId),
    [b.userId, a.userId],
  );
  assert.equal(groups[0]!.latestAt!.seconds - groups[0]!.earliestAt!.seconds, 3600n);

  // The window runs 12 h from the group's first like, not from its latest.
  n.h.clock.advance(11 * HOUR - 60_000);
  await like(post, r.userId, c.userId);
  await n.settle('post');
  // Still inside the window that opened with the first like.
  let r2 = await n.again(r);
  assert.equal(about((await r2.notifications.listNotifications({})).groups, post).length, 1);
  await n.publish('post', {
    case: 'postUnliked',
    value: { postId: post, postAuthorId: r.userId, userId: c.userId },
  });
  n.h.clock.advance(2 * 60_000);
  await like(post, r.userId, c.userId);
  await n.settle('post');
  r2 = await n.again(r);
  groups = about((await r2.notifications.listNotifications({})).groups, post);
  assert.equal(groups.length, 2);
  assert.deepEqual(
    groups.map((g) => g.sampleActors.map((s) => s.userId)),
    [[c.userId], [b.userId, a.userId]],
  );
  assert.notEqual(groups[0]!.groupKey, groups[1]!.groupKey);
});

test('an unlike or unrepost takes the actor out of the group', async () => {
  const r = await n.member();
  const post = uuidv7();
  await like(post, r.userId, a.userId);
  await like(post, r.userId, b.userId);
  await n.publish('post', {
    case: 'postReposted',
    value: { postId: post, postAuthorId: r.userId, userId: a.userId },
  });
  await n.publish('post', {
    case: 'postUnliked',
    value: { postId: post, postAuthorId: r.userId, userId: a.userId },
  });
  await n.settle('post');
  let groups = about((await r.notifications.listNotifications({})).groups, post);
  const likes = groups.find((g) => g.type === NotificationType.LIKE)!;
  assert.equal(likes.actorCount, 1);
  assert.deepEqual(
    likes.sampleActors.map((s) => s.userId),
    [b.userId],
  );
  // Only the like went: the repost of the same actor stays.
  assert.equal(groups.find((g) => g.type === NotificationType.REPOST)?.actorCount, 1);

  await n.publish('post', {
    case: 'postUnreposted',
    value: { postId: post, postAuthorId: r.userId, userId: a.userId },
  });
  await n.settle('post');
  groups = about((await r.notifications.listNotifications({})).groups, post);
  assert.deepEqual(
    groups.map((g) => g.type),
    [NotificationType.LIKE],
  );
});

test('new followers within 12 hours form one group; mentions are one group each', async () => {
  const r = await n.member();
  for (const follower of [a, b, c]) {
    await n.publish('user', {
      case: 'userFollowed',
      value: { followerId: follower.userId, followeeId: r.userId, version: 1n },
    });
  }
  await mention(r.userId, a.userId);
  await mention(r.userId, a.userId);
  await n.settle('user');
  await n.settle('post');
  const { groups } = await r.notifications.listNotifications({});
  assert.deepEqual(
    groups.map((g) => [g.type, g.notificationCount]).sort(),
    [
      [NotificationType.FOLLOW, 3],
      [NotificationType.MENTION, 1],
      [NotificationType.MENTION, 1],
    ].sort(),
  );
  const follows = await r.notifications.listNotifications({ types: [NotificationType.FOLLOW] });
  assert.equal(follows.groups.length, 1);
  assert.equal(follows.groups[0]!.actorCount, 3);
});

test('unread counts count notifications; MarkRead marks up to an id or whole groups', async () => {
  const r = await n.member();
  const post = uuidv7();
  const mentions: string[] = [];
  for (let i = 0; i < 3; i++) {
    n.h.clock.advance(1000);
    mentions.push(await mention(r.userId, a.userId));
  }
  n.h.clock.advance(1000);
  await like(post, r.userId, a.userId);
  await like(post, r.userId, b.userId);
  await n.settle('post');
  assert.equal((await r.notifications.getUnreadCount({})).unreadCount, 5);

  const { groups } = await r.notifications.listNotifications({});
  const likeGroup = groups.find((g) => g.type === NotificationType.LIKE)!;
  let res = await r.notifications.markRead({
    target: { case: 'groups', value: { groupKeys: [likeGroup.groupKey, 'no-such-key'] } },
  });
  assert.equal(res.unreadCount, 3);

  const oldest = about(groups, mentions[0]!)[0]!;
  const middle = about(groups, mentions[1]!)[0]!;
  res = await r.notifications.markRead({
    target: { case: 'upToNotificationId', value: middle.latestNotificationId },
  });
  assert.equal(res.unreadCount, 1);
  const after = await r.notifications.listNotifications({});
  assert.equal(about(after.groups, mentions[0]!)[0]!.read, true);
  assert.equal(about(after.groups, mentions[2]!)[0]!.read, false);
  const unread = await r.notifications.listNotifications({ unreadOnly: true });
  assert.deepEqual(
    unread.groups.map((g) => g.subject?.kind.value),
    [mentions[2]],
  );

  // Another user's ids and keys change nothing, for them or for the caller.
  const other = await n.member();
  await mention(other.userId, a.userId);
  await n.settle('post');
  const theirs = (await other.notifications.listNotifications({})).groups[0]!;
  res = await r.notifications.markRead({
    target: { case: 'upToNotificationId', value: theirs.latestNotificationId },
  });
  assert.equal(res.unreadCount, 1);
  await r.notifications.markRead({
    target: { case: 'groups', value: { groupKeys: [theirs.groupKey] } },
  });
  assert.equal((await other.notifications.getUnreadCount({})).unreadCount, 1);
  assert.equal(oldest.read, false, 'the list read before marking showed it unread');
});

test('pages go back with page_token and forward with newer_than_page_token', async () => {
  const r = await n.member();
  const posts: string[] = [];
  for (let i = 0; i < 5; i++) {
    n.h.clock.advance(1000);
    posts.push(await mention(r.userId, a.userId));
  }
  await n.settle('post');
  const newestFirst = [...posts].reverse();
  const first = await r.notifications.listNotifications({ pageSize: 2 });
  const second = await r.notifications.listNotifications({
    pageSize: 2,
    pageToken: first.nextPageToken,
  });
  const third = await r.notifications.listNotifications({
    pageSize: 2,
    pageToken: second.nextPageToken,
  });
  assert.deepEqual(
    [first, second, third].map((p) => p.groups.map((g) => g.subject?.kind.value)),
    [newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)],
  );
  assert.equal(third.nextPageToken, '');

  // Nothing new yet; then a mention arrives and a liked post's group gains activity.
  const none = await r.notifications.listNotifications({
    newerThanPageToken: first.prevPageToken,
  });
  assert.deepEqual(none.groups, []);
  assert.notEqual(none.prevPageToken, '');
  const likedPost = uuidv7();
  n.h.clock.advance(1000);
  await like(likedPost, r.userId, a.userId);
  n.h.clock.advance(1000);
  const fresh = await mention(r.userId, b.userId);
  await n.settle('post');
  const since = await r.notifications.listNotifications({
    newerThanPageToken: none.prevPageToken,
    pageSize: 1,
  });
  // The closest page first: the like, which came before the newest mention.
  assert.deepEqual(
    since.groups.map((g) => g.subject?.kind.value),
    [likedPost],
  );
  const then = await r.notifications.listNotifications({
    newerThanPageToken: since.prevPageToken,
  });
  assert.deepEqual(
    then.groups.map((g) => g.subject?.kind.value),
    [fresh],
  );
  n.h.clock.advance(1000);
  await like(likedPost, r.userId, b.userId);
  await n.settle('post');
  const regained = await r.notifications.listNotifications({
    newerThanPageToken: then.prevPageToken,
  });
  assert.deepEqual(
    regained.groups.map((g) => [g.subject?.kind.value, g.actorCount]),
    [[likedPost, 2]],
  );
});

test('a page token of one filter or user is refused for another', async () => {
  const r = await n.member();
  for (let i = 0; i < 3; i++) await mention(r.userId, a.userId);
  await n.settle('post');
  const page = await r.notifications.listNotifications({ pageSize: 1 });
  assert.equal(
    await codeOf(
      r.notifications.listNotifications({
        pageSize: 1,
        pageToken: page.nextPageToken,
        filtered: true,
      }),
    ),
    Code.InvalidArgument,
  );
  assert.equal(
    await codeOf(
      (await n.again(a)).notifications.listNotifications({
        pageSize: 1,
        pageToken: page.nextPageToken,
      }),
    ),
    Code.InvalidArgument,
  );
});

test('every notification RPC needs a signed-in caller', async () => {
  const anonymous = createClient(NotificationService, n.h.as('').transport);
  assert.equal(await codeOf(anonymous.listNotifications({})), Code.Unauthenticated);
  assert.equal(await codeOf(anonymous.getUnreadCount({})), Code.Unauthenticated);
  assert.equal(
    await codeOf(anonymous.markRead({ target: { case: 'upToNotificationId', value: uuidv7() } })),
    Code.Unauthenticated,
  );
  assert.equal(await codeOf(anonymous.getNotificationPreferences({})), Code.Unauthenticated);
});
