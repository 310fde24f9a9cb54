import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { ReplySort } from '@kith/gen/kith/post/v1/post_pb.js';
import { codeOf, rejectsWith, waitFor } from '@kith/testkit';
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { Person, PostHarness } from '../testing/post-harness.js';

let c: PostHarness<AuthHarness>;
beforeAll(async () => {
  c = await startPostHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    anonymous: (h) => h.withHeaders({}).transport,
  });
});
afterAll(() => c?.stop());

const pub = { kind: { case: 'public' as const, value: {} } };

async function say(
  person: Person,
  text: string,
  extra: object = { audience: pub },
): Promise<string> {
  c.h.clock.advance(1000);
  const { post } = await person.posts.createPost({ text, ...extra });
  return post!.postId;
}

test('home: own posts, followed people’s posts and reposts, circle posts; mutes and strangers left out; pages back and forward', async () => {
  const me = await c.person();
  const friend = await c.person();
  const muted = await c.person();
  const stranger = await c.person();
  const pal = await c.person();
  await c.follow(me, friend);
  await c.follow(me, muted);
  await c.mute(me, muted);
  const circleId = await c.circle(pal, me);

  const mine = await say(me, 'mine');
  const friends = await say(friend, 'friend');
  await say(muted, 'muted');
  const strangers = await say(stranger, 'stranger');
  const inCircle = await say(pal, 'circle', {
    audience: { kind: { case: 'circles', value: { circleIds: [circleId] } } },
  });
  c.h.clock.advance(1000);
  await friend.posts.repost({ postId: strangers });
  await muted.posts.repost({ postId: mine });

  const page = await me.posts.getHomeTimeline({});
  assert.deepEqual(
    page.items.map((i) => [i.post?.text, i.repost?.repostedBy?.userId ?? '']),
    [
      ['stranger', friend.userId],
      ['circle', ''],
      ['friend', ''],
      ['mine', ''],
    ],
  );
  assert.equal(page.nextPageToken, '');

  // Two at a time, back then forward.
  const first = await me.posts.getHomeTimeline({ pageSize: 2 });
  assert.deepEqual(
    first.items.map((i) => i.post?.postId),
    [strangers, inCircle],
  );
  const second = await me.posts.getHomeTimeline({ pageSize: 2, pageToken: first.nextPageToken });
  assert.deepEqual(
    second.items.map((i) => i.post?.postId),
    [friends, mine],
  );
  const newer = await me.posts.getHomeTimeline({ newerThanPageToken: second.prevPageToken });
  assert.deepEqual(
    newer.items.map((i) => i.post?.postId),
    [strangers, inCircle],
  );
  const none = await me.posts.getHomeTimeline({ newerThanPageToken: newer.prevPageToken });
  assert.deepEqual(none.items, []);
  assert.equal(none.prevPageToken, newer.prevPageToken, 'poll again with the same token');
  const latest = await say(friend, 'later');
  // The fan-out on write reaches the cached list a moment after the post is made.
  let polled = await me.posts.getHomeTimeline({ newerThanPageToken: none.prevPageToken });
  await waitFor(async () => {
    polled = await me.posts.getHomeTimeline({ newerThanPageToken: none.prevPageToken });
    return polled.items.length > 0;
  });
  assert.deepEqual(
    polled.items.map((i) => i.post?.postId),
    [latest],
  );
  // A token is bound to its timeline and direction.
  await rejectsWith(
    me.posts.getHomeTimeline({ pageToken: polled.prevPageToken }),
    Code.InvalidArgument,
  );
  await rejectsWith(
    friend.posts.getHomeTimeline({ pageToken: first.nextPageToken }),
    Code.InvalidArgument,
  );
  const noReposts = await me.posts.getHomeTimeline({ excludeReposts: true });
  assert.ok(noReposts.items.every((i) => !i.repost));
});

test('user timeline: posts and reposts the caller may see; NotFound for an unknown user or across a block', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const open = await say(ana, 'open');
  await say(ana, 'followers only', { audience: { kind: { case: 'followers', value: {} } } });
  const other = await say(bo, 'bo');
  c.h.clock.advance(1000);
  await ana.posts.repost({ postId: other });
  const { items } = await c.anonymous.getUserTimeline({ userId: ana.userId });
  assert.deepEqual(
    items.map((i) => [i.post?.postId, Boolean(i.repost)]),
    [
      [other, true],
      [open, false],
    ],
  );
  const own = await ana.posts.getUserTimeline({ userId: ana.userId, excludeReposts: true });
  assert.deepEqual(
    own.items.map((i) => i.post?.text),
    ['followers only', 'open'],
  );
  assert.equal(
    await codeOf(ana.posts.getUserTimeline({ userId: crypto.randomUUID() })),
    Code.NotFound,
  );
  await c.block(ana, bo);
  assert.equal(await codeOf(bo.posts.getUserTimeline({ userId: ana.userId })), Code.NotFound);
});

test('circle timeline: members only; a post hidden there is gone for members and kept for its admins', async () => {
  const owner = await c.person();
  const member = await c.person();
  const outsider = await c.person();
  const circleId = await c.circle(owner, member);
  const audience = { audience: { kind: { case: 'circles', value: { circleIds: [circleId] } } } };
  const kept = await say(member, 'kept', audience);
  const hidden = await say(member, 'hidden', audience);
  await c.app.database.db
    .insertInto('circle_hides')
    .values({
      circle_id: circleId,
      post_id: hidden,
      active: true,
      reason: 1,
      note: '',
      hidden_at: c.h.clock.now(),
      version: '1',
    })
    .execute();
  const seen = async (p: Person) =>
    (await p.posts.getCircleTimeline({ circleId })).items.map((i) => i.post?.postId);
  assert.deepEqual(await seen(owner), [hidden, kept]);
  assert.deepEqual(await seen(member), [kept]);
  const asAuthor = await member.posts.getPost({ postId: hidden });
  assert.equal(asAuthor.post?.circleHides.length, 1, 'the author sees the hide');
  assert.equal(await codeOf(outsider.posts.getCircleTimeline({ circleId })), Code.NotFound);
});

test('threads: depth and breadth bounds with continuation; replies oldest, newest and top first', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const root = await say(ana, 'root');
  const a = await say(bo, 'a', { replyToPostId: root });
  const a1 = await say(ana, 'a1', { replyToPostId: a });
  const a1x = await say(bo, 'a1x', { replyToPostId: a1 });
  const b = await say(bo, 'b', { replyToPostId: root });
  const cc = await say(ana, 'c', { replyToPostId: root });
  await ana.posts.like({ postId: b });

  const full = await bo.posts.getThread({ postId: root });
  assert.deepEqual(
    full.descendants.map((d) => [d.post?.text, d.depth]),
    [
      ['a', 1],
      ['a1', 2],
      ['a1x', 3],
      ['b', 1],
      ['c', 1],
    ],
  );
  const shallow = await bo.posts.getThread({ postId: root, depth: 2 });
  assert.deepEqual(
    shallow.descendants.map((d) => [d.post?.text, d.hasMoreReplies]),
    [
      ['a', false],
      ['a1', true],
      ['b', false],
      ['c', false],
    ],
  );
  const firstTwo = await bo.posts.getThread({ postId: root, maxReplies: 2 });
  assert.deepEqual(
    firstTwo.descendants.map((d) => d.post?.postId),
    [a, a1],
  );
  const rest = await bo.posts.getThread({
    postId: root,
    maxReplies: 2,
    pageToken: firstTwo.nextPageToken,
  });
  assert.deepEqual(
    rest.descendants.map((d) => d.post?.postId),
    [a1x, b],
  );
  const last = await bo.posts.getThread({
    postId: root,
    maxReplies: 2,
    pageToken: rest.nextPageToken,
  });
  assert.deepEqual(
    last.descendants.map((d) => d.post?.postId),
    [cc],
  );
  assert.equal(last.nextPageToken, '');

  const up = await bo.posts.getThread({ postId: a1x, parentHeight: 1 });
  assert.deepEqual(
    up.ancestors.map((p) => p.postId),
    [a1],
  );
  assert.equal(up.ancestorsTruncated, true);
  const all = await bo.posts.getThread({ postId: a1x });
  assert.deepEqual(
    all.ancestors.map((p) => p.postId),
    [root, a, a1],
  );
  assert.equal(all.ancestorsTruncated, false);
  // The walk up stops below an ancestor the reader may not see.
  await bo.posts.deletePost({ postId: a });
  const cut = await bo.posts.getThread({ postId: a1x });
  assert.deepEqual(
    cut.ancestors.map((p) => p.postId),
    [a1],
  );
  assert.equal(cut.ancestorsTruncated, true);

  const order = async (sort: ReplySort) =>
    (await bo.posts.listReplies({ postId: root, sort })).replies.map((r) => r.text);
  assert.deepEqual(await order(ReplySort.OLDEST), ['b', 'c']);
  assert.deepEqual(await order(ReplySort.NEWEST), ['c', 'b']);
  assert.deepEqual(await order(ReplySort.TOP), ['b', 'c']);
  const paged = await bo.posts.listReplies({ postId: root, pageSize: 1 });
  const next = await bo.posts.listReplies({
    postId: root,
    pageSize: 1,
    pageToken: paged.nextPageToken,
  });
  assert.deepEqual(
    [...paged.replies, ...next.replies].map((r) => r.text),
    ['b', 'c'],
  );
});
