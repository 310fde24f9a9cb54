import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ModerationState } from '@kith/gen/kith/post/v1/types_pb.js';
import { codeOf, rejectsWith, violatedFields } from '@kith/testkit';
// By path: the post package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { PostHarness } from '../testing/post-harness.js';
import { purgeExpiredPosts } from './expiry.js';

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

test('a post parses mentions and hashtags from plain text and publishes post.created and post.mentioned', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const before = (await c.events()).length;
  const { post } = await ana.posts.createPost({
    text: `Morning run with @${bo.username} #Running #5k https://example.com/#notatag <b>hi</b>`,
    audience: pub,
    language: 'en',
  });
  assert.ok(post);
  assert.equal(post.author?.username, ana.username);
  assert.deepEqual(
    post.mentions.map((m) => m.userId),
    [bo.userId],
  );
  assert.deepEqual(post.hashtags, ['running', '5k']);
  assert.ok(post.text.includes('<b>hi</b>'), 'text is kept as written, never as markup');
  assert.equal(post.revision, 1);
  assert.equal(post.version, 1n);
  assert.equal(post.rootPostId, post.postId);
  assert.equal(post.moderationState, ModerationState.NONE, 'the author sees the moderation state');
  const events = (await c.events()).slice(before);
  assert.deepEqual(
    events.map((e) => e.case),
    ['postCreated', 'postMentioned'],
  );

  const seen = await bo.posts.getPost({ postId: post.postId });
  assert.equal(seen.post?.text, post.text);
  assert.equal(seen.post?.moderationState, ModerationState.UNSPECIFIED, 'only the author sees it');
  const anon = await c.anonymous.getPost({ postId: post.postId });
  assert.equal(anon.post?.viewer, undefined, 'no viewer state for an anonymous reader');
});

test('bad input is refused with field violations and stores nothing', async () => {
  const ana = await c.person();
  const before = await c.snapshot();
  const empty = await rejectsWith(
    ana.posts.createPost({ text: '', audience: pub }),
    Code.InvalidArgument,
  );
  assert.ok(empty.message.includes('text or media is required'));
  const noAudience = await rejectsWith(ana.posts.createPost({ text: 'hi' }), Code.InvalidArgument);
  assert.ok(noAudience.message.includes('audience is required'));
  const long = await rejectsWith(
    ana.posts.createPost({ text: 'x'.repeat(501), audience: pub }),
    Code.InvalidArgument,
  );
  assert.deepEqual(violatedFields(long), ['text']);
  const control = await rejectsWith(
    ana.posts.createPost({ text: 'hi\u202Eevil', audience: pub }),
    Code.InvalidArgument,
  );
  assert.deepEqual(violatedFields(control), ['text']);
  const rejected = await rejectsWith(
    ana.posts.createPost({ text: 'something forbidden', audience: pub }),
    Code.InvalidArgument,
  );
  assert.deepEqual(violatedFields(rejected), ['text']);
  await rejectsWith(
    ana.posts.createPost({ text: 'hi', audience: pub, mediaIds: [crypto.randomUUID()] }),
    Code.FailedPrecondition,
  );
  assert.deepEqual(await c.snapshot(), before);
});

test('50 concurrent CreatePost calls with one idempotency key make one post', async () => {
  const ana = await c.person();
  const results = await Promise.all(
    Array.from({ length: 50 }, () =>
      ana.posts
        .createPost({ text: 'only once', audience: pub, idempotencyKey: 'same-key-123' })
        .then((r) => r.post?.postId ?? 'none')
        .catch((err: Error) => `error: ${err.message}`),
    ),
  );
  const ids = new Set(results.filter((r) => !r.startsWith('error')));
  assert.equal(ids.size, 1, `one post id: ${[...new Set(results)].join(', ')}`);
  const { items } = await ana.posts.getUserTimeline({ userId: ana.userId });
  assert.equal(items.filter((i) => i.post?.text === 'only once').length, 1);
});

test('an edit keeps revisions, checks base_revision and never adds mentions to a followers-only post', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const { post } = await ana.posts.createPost({ text: 'first', audience: followers });
  const edited = await ana.posts.editPost({
    postId: post!.postId,
    text: 'second #edit',
    updateMask: { paths: ['text'] },
    baseRevision: 1,
  });
  assert.equal(edited.post?.revision, 2);
  assert.ok(edited.post?.editedAt);
  assert.deepEqual(edited.post?.hashtags, ['edit']);
  await rejectsWith(
    ana.posts.editPost({
      postId: post!.postId,
      text: 'third',
      updateMask: { paths: ['text'] },
      baseRevision: 1,
    }),
    Code.Aborted,
  );
  await rejectsWith(
    ana.posts.editPost({
      postId: post!.postId,
      text: `now with @${bo.username}`,
      updateMask: { paths: ['text'] },
    }),
    Code.FailedPrecondition,
  );
  await rejectsWith(
    ana.posts.editPost({
      postId: post!.postId,
      audience: pub,
      updateMask: { paths: ['audience'] },
    }),
    Code.FailedPrecondition,
  );
  const history = await ana.posts.getPostHistory({ postId: post!.postId });
  assert.deepEqual(
    history.revisions.map((r) => [r.revision, r.text]),
    [
      [2, 'second #edit'],
      [1, 'first'],
    ],
  );
  // Someone else's post answers NotFound, as an unknown one does.
  await rejectsWith(
    bo.posts.editPost({ postId: post!.postId, text: 'mine', updateMask: { paths: ['text'] } }),
    Code.NotFound,
  );
});

test('a deleted post is gone for everyone, and its parent count moves back', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const { post } = await ana.posts.createPost({ text: 'root', audience: pub });
  const { post: reply } = await bo.posts.createPost({ text: 'reply', replyToPostId: post!.postId });
  assert.equal((await ana.posts.getPost({ postId: post!.postId })).post?.replyCount, 1);
  await rejectsWith(ana.posts.deletePost({ postId: reply!.postId }), Code.NotFound);
  await bo.posts.deletePost({ postId: reply!.postId });
  await rejectsWith(bo.posts.getPost({ postId: reply!.postId }), Code.NotFound);
  await rejectsWith(c.anonymous.getPost({ postId: reply!.postId }), Code.NotFound);
  assert.equal((await ana.posts.getPost({ postId: post!.postId })).post?.replyCount, 0);
  const events = await c.events();
  const deleted = events.find((e) => e.case === 'postDeleted' && e.value.postId === reply!.postId);
  assert.ok(deleted);
});

test('a post past its expires_at is purged by the daemon (reason EXPIRED)', async () => {
  const ana = await c.person();
  const expiresAt = new Date(c.h.clock.now().getTime() + 60 * 60 * 1000);
  const { post } = await ana.posts.createPost({
    text: 'gone in an hour',
    audience: pub,
    expiresAt: timestampFromDate(expiresAt),
  });
  assert.equal(await purgeExpiredPosts(c.app), 0);
  c.h.clock.advance(60 * 60 * 1000 + 1);
  assert.equal(await codeOf(ana.posts.getPost({ postId: post!.postId })), Code.NotFound);
  assert.equal(await purgeExpiredPosts(c.app), 1);
  const row = await c.app.database.db
    .selectFrom('posts')
    .select(['text', 'deletion_reason'])
    .where('id', '=', post!.postId)
    .executeTakeFirstOrThrow();
  assert.equal(row.text, '', 'the text is wiped');
  assert.equal(row.deletion_reason, 3);
});

test('likes, bookmarks and reposts: once each, with counts and events; strangers get NotFound on what they may not see', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const eve = await c.person();
  const { post } = await ana.posts.createPost({ text: 'like me', audience: pub });
  assert.equal((await bo.posts.like({ postId: post!.postId })).likeCount, 1);
  assert.equal((await bo.posts.like({ postId: post!.postId })).likeCount, 1);
  assert.equal((await bo.posts.repost({ postId: post!.postId })).repostCount, 1);
  await bo.posts.bookmark({ postId: post!.postId });
  const seen = await bo.posts.getPost({ postId: post!.postId });
  assert.deepEqual(
    {
      liked: seen.post?.viewer?.liked,
      bookmarked: seen.post?.viewer?.bookmarked,
      reposted: seen.post?.viewer?.reposted,
    },
    { liked: true, bookmarked: true, reposted: true },
  );
  const likes = await ana.posts.listLikes({ postId: post!.postId });
  assert.deepEqual(
    likes.likes.map((l) => l.user?.userId),
    [bo.userId],
  );
  const bookmarks = await bo.posts.listBookmarks({});
  assert.deepEqual(
    bookmarks.posts.map((p) => p.postId),
    [post!.postId],
  );
  assert.equal((await bo.posts.unlike({ postId: post!.postId })).likeCount, 0);
  assert.equal((await bo.posts.unrepost({ postId: post!.postId })).repostCount, 0);
  // Each flag is the viewer's own row of its kind: none stands in for another.
  const flags = async () => {
    const { post: p } = await bo.posts.getPost({ postId: post!.postId });
    return [p?.viewer?.liked, p?.viewer?.bookmarked, p?.viewer?.reposted];
  };
  assert.deepEqual(await flags(), [false, true, false]);
  await bo.posts.like({ postId: post!.postId });
  assert.deepEqual(await flags(), [true, true, false]);
  await bo.posts.unlike({ postId: post!.postId });

  const { post: secret } = await ana.posts.createPost({
    text: 'followers only',
    audience: followers,
  });
  for (const call of [
    () => eve.posts.like({ postId: secret!.postId }),
    () => eve.posts.bookmark({ postId: secret!.postId }),
    () => eve.posts.repost({ postId: secret!.postId }),
    () => eve.posts.listLikes({ postId: secret!.postId }),
  ]) {
    assert.equal(await codeOf(call()), Code.NotFound);
  }
  const kinds = (await c.events()).map((e) => e.case);
  assert.equal(kinds.filter((k) => k === 'postLiked').length >= 1, true);
});
