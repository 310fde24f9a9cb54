import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { codeOf, rejectsWith } from '@kith/testkit';
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { PostHarness } from '../testing/post-harness.js';

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
const followers = { kind: { case: 'followers' as const, value: {} } };
const mentionedOnly = { kind: { case: 'mentionedOnly' as const, value: {} } };

test('reposts: public posts and your own followers-only posts only; nothing else leaves its audience', async () => {
  const ana = await c.person();
  const bo = await c.person();
  await c.follow(bo, ana);
  const circleId = await c.circle(ana, bo);
  const { post: open } = await ana.posts.createPost({ text: 'open', audience: pub });
  const { post: fo } = await ana.posts.createPost({ text: 'followers', audience: followers });
  const { post: inCircle } = await ana.posts.createPost({
    text: 'circle',
    audience: { kind: { case: 'circles', value: { circleIds: [circleId] } } },
  });
  assert.equal((await bo.posts.repost({ postId: open!.postId })).repostCount, 1);
  await rejectsWith(bo.posts.repost({ postId: fo!.postId }), Code.FailedPrecondition);
  await rejectsWith(bo.posts.repost({ postId: inCircle!.postId }), Code.FailedPrecondition);
  assert.equal(
    (await ana.posts.repost({ postId: fo!.postId })).repostCount,
    1,
    'the author reaches the same followers',
  );
  await rejectsWith(ana.posts.repost({ postId: inCircle!.postId }), Code.FailedPrecondition);
  // A reply in someone else's followers-only thread is the root author's audience, not the replier's.
  const { post: reply } = await bo.posts.createPost({ text: 'reply', replyToPostId: fo!.postId });
  await rejectsWith(bo.posts.repost({ postId: reply!.postId }), Code.FailedPrecondition);
});

test('quotes follow the repost rule, and a quote of a followers-only post must itself be FOLLOWERS', async () => {
  const ana = await c.person();
  const bo = await c.person();
  await c.follow(bo, ana);
  const { post: fo } = await ana.posts.createPost({ text: 'followers', audience: followers });
  await rejectsWith(
    bo.posts.createPost({ text: 'quoting', audience: followers, quotePostId: fo!.postId }),
    Code.FailedPrecondition,
  );
  await rejectsWith(
    ana.posts.createPost({ text: 'self quote', audience: pub, quotePostId: fo!.postId }),
    Code.FailedPrecondition,
  );
  const { post: quote } = await ana.posts.createPost({
    text: 'self quote',
    audience: followers,
    quotePostId: fo!.postId,
  });
  assert.equal(quote?.quotedPost?.postId, fo!.postId);

  // Someone who may read the quote but not the quoted post never gets it embedded.
  const { post: open } = await bo.posts.createPost({ text: 'open', audience: pub });
  const { post: quoting } = await ana.posts.createPost({
    text: 'see this',
    audience: pub,
    quotePostId: open!.postId,
  });
  assert.equal(quoting?.quotedPost?.postId, open!.postId);
  assert.equal((await ana.posts.getPost({ postId: open!.postId })).post?.quoteCount, 1);
  await bo.posts.editPost({
    postId: open!.postId,
    audience: mentionedOnly,
    updateMask: { paths: ['audience'] },
  });
  const after = await c.anonymous.getPost({ postId: quoting!.postId });
  assert.equal(after.post?.quotePostId, open!.postId);
  assert.equal(
    after.post?.quotedPost,
    undefined,
    'narrowed: the quoted post is no longer embedded',
  );
  // The quoted post may not be seen at all: NotFound, as for an unknown one.
  await rejectsWith(
    ana.posts.createPost({ text: 'again', audience: pub, quotePostId: open!.postId }),
    Code.NotFound,
  );
});

test('a reply inherits its parent audience; its mentions add no readers and notify no outsider', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const eve = await c.person();
  await c.follow(bo, ana);
  const { post: fo } = await ana.posts.createPost({ text: 'followers', audience: followers });
  const before = (await c.events()).length;
  const { post: reply } = await bo.posts.createPost({
    text: `hey @${eve.username} look`,
    replyToPostId: fo!.postId,
  });
  assert.equal(reply?.audience?.kind.case, 'followers');
  assert.equal(reply?.rootPostId, fo!.postId);
  assert.equal(await codeOf(eve.posts.getPost({ postId: reply!.postId })), Code.NotFound);
  const events = (await c.events()).slice(before);
  assert.deepEqual(
    events.map((e) => e.case),
    ['postCommentCreated'],
    'no post.mentioned for eve',
  );
  const comment = events[0]!.value as { parentAuthorId: string; parentReplyCount: number };
  assert.equal(comment.parentAuthorId, ana.userId);
  assert.equal(comment.parentReplyCount, 1);
  await rejectsWith(
    bo.posts.createPost({ text: 'reply', replyToPostId: fo!.postId, audience: pub }),
    Code.InvalidArgument,
  );
  // A stranger cannot reply to what they cannot read.
  await rejectsWith(eve.posts.createPost({ text: 'x', replyToPostId: fo!.postId }), Code.NotFound);
});

test('an edit only narrows the audience, removes the reposts the narrower one refuses, and adds no readers', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const eve = await c.person();
  await c.follow(bo, ana);
  const { post } = await ana.posts.createPost({ text: 'open', audience: pub });
  await bo.posts.repost({ postId: post!.postId });
  await ana.posts.repost({ postId: post!.postId });
  const narrowed = await ana.posts.editPost({
    postId: post!.postId,
    audience: followers,
    updateMask: { paths: ['audience'] },
  });
  assert.equal(narrowed.post?.repostCount, 1, "bo's repost is gone, the author's own stays");
  const unreposted = (await c.events()).filter(
    (e) => e.case === 'postUnreposted' && e.value.postId === post!.postId,
  );
  assert.deepEqual(
    unreposted.map((e) => (e.value as { userId: string }).userId),
    [bo.userId],
  );
  await rejectsWith(
    ana.posts.editPost({
      postId: post!.postId,
      audience: pub,
      updateMask: { paths: ['audience'] },
    }),
    Code.FailedPrecondition,
  );
  await rejectsWith(
    ana.posts.editPost({
      postId: post!.postId,
      text: `now @${eve.username}`,
      updateMask: { paths: ['text'] },
    }),
    Code.FailedPrecondition,
  );
  assert.equal(await codeOf(eve.posts.getPost({ postId: post!.postId })), Code.NotFound);

  // A circle post narrows to a subset of its circles only.
  const one = await c.circle(ana, bo);
  const two = await c.circle(ana, eve);
  const { post: circlePost } = await ana.posts.createPost({
    text: 'two circles',
    audience: { kind: { case: 'circles', value: { circleIds: [one, two] } } },
  });
  const seenByBo = await bo.posts.getPost({ postId: circlePost!.postId });
  assert.deepEqual(
    seenByBo.post?.audience?.kind.case === 'circles'
      ? seenByBo.post.audience.kind.value.circleIds
      : [],
    [one],
    'circle ids are redacted to the reader’s own',
  );
  await ana.posts.editPost({
    postId: circlePost!.postId,
    audience: { kind: { case: 'circles', value: { circleIds: [one] } } },
    updateMask: { paths: ['audience'] },
  });
  assert.equal(await codeOf(eve.posts.getPost({ postId: circlePost!.postId })), Code.NotFound);
  await rejectsWith(
    ana.posts.editPost({
      postId: circlePost!.postId,
      audience: { kind: { case: 'circles', value: { circleIds: [one, two] } } },
      updateMask: { paths: ['audience'] },
    }),
    Code.FailedPrecondition,
  );
  // Posting to a circle one is not in is refused.
  const other = await c.circle(eve);
  await rejectsWith(
    ana.posts.createPost({
      text: 'x',
      audience: { kind: { case: 'circles', value: { circleIds: [other] } } },
    }),
    Code.FailedPrecondition,
  );
});
