import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { rejectsWith } from '@kith/testkit';
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { AUDIENCE } from '../db/schema.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { PostHarness } from '../testing/post-harness.js';
import { ANONYMOUS_POST_TTL_MS } from './anonymous-cache.js';

// GetPost for signed-out readers comes from a cache; every change the service makes to a post
// reaches them at once, and what it does not make (here: a row changed behind its back) once
// the entry expires.

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
const anonymousRead = async (postId: string) => (await c.anonymous.getPost({ postId })).post;

test('signed-out readers get a cached answer, which expires', async () => {
  const ana = await c.person();
  const { post } = await ana.posts.createPost({ text: 'cached for a moment', audience: pub });
  assert.equal((await anonymousRead(post!.postId))?.text, 'cached for a moment');
  // Changed where no commit of the service notes it: signed-out readers see the cached answer
  // until it expires, signed-in readers the row.
  await c.app.database.db
    .updateTable('posts')
    .set({ text: 'changed behind its back' })
    .where('id', '=', post!.postId)
    .execute();
  assert.equal((await anonymousRead(post!.postId))?.text, 'cached for a moment');
  assert.equal(
    (await ana.posts.getPost({ postId: post!.postId })).post?.text,
    'changed behind its back',
  );
  await new Promise((resolve) => setTimeout(resolve, ANONYMOUS_POST_TTL_MS + 200));
  assert.equal((await anonymousRead(post!.postId))?.text, 'changed behind its back');
});

test('a like, a reply, an edit and a deletion reach signed-out readers at once', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const { post } = await ana.posts.createPost({ text: 'first words', audience: pub });
  const postId = post!.postId;
  assert.equal((await anonymousRead(postId))?.likeCount, 0);

  await bo.posts.like({ postId });
  assert.equal((await anonymousRead(postId))?.likeCount, 1);
  await bo.posts.createPost({ text: 'a reply', replyToPostId: postId });
  assert.equal((await anonymousRead(postId))?.replyCount, 1);
  await ana.posts.editPost({ postId, text: 'second words', updateMask: { paths: ['text'] } });
  assert.equal((await anonymousRead(postId))?.text, 'second words');
  // Narrowed to followers: gone for signed-out readers.
  await ana.posts.editPost({
    postId,
    audience: { kind: { case: 'followers', value: {} } },
    updateMask: { paths: ['audience'] },
  });
  await rejectsWith(c.anonymous.getPost({ postId }), Code.NotFound);

  const { post: other } = await ana.posts.createPost({ text: 'short-lived', audience: pub });
  assert.ok(await anonymousRead(other!.postId));
  await ana.posts.deletePost({ postId: other!.postId });
  await rejectsWith(c.anonymous.getPost({ postId: other!.postId }), Code.NotFound);
});

test('a post found by nobody is not cached: it shows once it exists for them', async () => {
  const ana = await c.person();
  const { post } = await ana.posts.createPost({
    text: 'followers first',
    audience: { kind: { case: 'followers', value: {} } },
  });
  await rejectsWith(c.anonymous.getPost({ postId: post!.postId }), Code.NotFound);
  await c.app.database.db
    .updateTable('posts')
    .set({ audience: AUDIENCE.PUBLIC })
    .where('id', '=', post!.postId)
    .execute();
  assert.equal((await anonymousRead(post!.postId))?.text, 'followers first');
});
