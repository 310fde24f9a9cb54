import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code, createClient } from '@connectrpc/connect';
import { PostService } from '@kith/gen/kith/post/v1/post_pb.js';
import { ModerationState } from '@kith/gen/kith/post/v1/types_pb.js';
import type { EventPayload } from '@kith/runtime';
import { codeOf, waitFor } from '@kith/testkit';
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { PostHarness } from '../testing/post-harness.js';

// Platform moderation's enforcement as post applies it: a post hidden, under review, marked
// sensitive or removed (and a reversal), an account limited, suspended or banned, each by its
// subject's enforcement version.

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
const actionId = () => crypto.randomUUID();

/** Publishes a moderation event and waits until post has handled everything before it. */
async function moderate(payload: EventPayload): Promise<void> {
  await c.publishAs('moderation', payload);
  const marker = crypto.randomUUID();
  await c.publishAs('moderation', {
    case: 'moderationAccountActioned',
    value: { actionId: actionId(), userId: marker, version: 1n, enforcement: {} },
  });
  await waitFor(async () =>
    Boolean(
      await c.app.database.db
        .selectFrom('users')
        .select('user_id')
        .where('user_id', '=', marker)
        .executeTakeFirst(),
    ),
  );
}

const onPost = (postId: string, version: bigint, enforcement: object): EventPayload => ({
  case: 'moderationContentActioned',
  value: {
    actionId: actionId(),
    subject: { kind: { case: 'postId', value: postId } },
    version,
    enforcement,
  },
});

test('a hidden post is seen by its author only (HIDDEN), a reversal brings it back, a replayed older hide does nothing', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const { post } = await ana.posts.createPost({ text: 'borderline', audience: pub });
  const postId = post!.postId;
  await moderate(onPost(postId, 1n, { hidden: true }));
  assert.equal(await codeOf(bo.posts.getPost({ postId })), Code.NotFound);
  assert.equal(await codeOf(c.anonymous.getPost({ postId })), Code.NotFound);
  assert.equal((await ana.posts.getPost({ postId })).post?.moderationState, ModerationState.HIDDEN);
  await moderate({
    case: 'moderationActionReversed',
    value: {
      actionId: actionId(),
      subject: { kind: { case: 'postId', value: postId } },
      version: 2n,
      enforcement: {},
    },
  });
  assert.equal(await codeOf(bo.posts.getPost({ postId })), 'ok');
  await moderate(onPost(postId, 1n, { hidden: true }));
  assert.equal(
    await codeOf(bo.posts.getPost({ postId })),
    'ok',
    'the replay is older than the reversal',
  );
  await moderate(onPost(postId, 3n, { sensitive: true }));
  const marked = await ana.posts.getPost({ postId });
  assert.equal(marked.post?.moderationState, ModerationState.MARKED_SENSITIVE);
  assert.equal(marked.post?.sensitive, true);
});

test('a removal deletes the post for everyone (post.deleted, MODERATION) and its reversal restores it with its counts', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const { post: parent } = await bo.posts.createPost({ text: 'parent', audience: pub });
  const { post } = await ana.posts.createPost({
    text: 'removed reply',
    replyToPostId: parent!.postId,
  });
  const postId = post!.postId;
  await moderate(onPost(postId, 1n, { removed: true }));
  assert.equal(await codeOf(ana.posts.getPost({ postId })), Code.NotFound);
  assert.equal((await bo.posts.getPost({ postId: parent!.postId })).post?.replyCount, 0);
  const deleted = (await c.events()).find(
    (e) => e.case === 'postDeleted' && e.value.postId === postId,
  );
  assert.equal((deleted?.value as { reason: number }).reason, 2);
  await moderate({
    case: 'moderationActionReversed',
    value: {
      actionId: actionId(),
      subject: { kind: { case: 'postId', value: postId } },
      version: 2n,
      enforcement: {},
    },
  });
  const back = await bo.posts.getPost({ postId });
  assert.equal(back.post?.text, 'removed reply', 'the content was kept for the appeal');
  assert.equal((await bo.posts.getPost({ postId: parent!.postId })).post?.replyCount, 1);
});

test('a limited author reaches followers only; a suspended or banned one nobody but themself, until lifted', async () => {
  const ana = await c.person();
  const fan = await c.person();
  const stranger = await c.person();
  await c.follow(fan, ana);
  const { post } = await ana.posts.createPost({ text: 'limited #limitedtag', audience: pub });
  const postId = post!.postId;
  const account = (version: bigint, enforcement: object): EventPayload => ({
    case: 'moderationAccountActioned',
    value: { actionId: actionId(), userId: ana.userId, version, enforcement },
  });
  await moderate(account(1n, { limited: true }));
  assert.equal(await codeOf(fan.posts.getPost({ postId })), 'ok');
  assert.equal(await codeOf(stranger.posts.getPost({ postId })), Code.NotFound);
  assert.equal(await codeOf(c.anonymous.getPost({ postId })), Code.NotFound);
  assert.equal(
    (await ana.posts.getPost({ postId })).post?.moderationState,
    ModerationState.LIMITED,
  );
  assert.deepEqual((await fan.posts.getHashtagTimeline({ hashtag: 'limitedtag' })).items, []);
  await moderate(account(2n, { suspended: true }));
  assert.equal(await codeOf(fan.posts.getPost({ postId })), Code.NotFound);
  // Auth ends the suspended account's sessions (its old token reads as nobody). A session
  // started after that is restricted to moderation's decisions and the appeal: on a public
  // read it is nobody too, so the author's own post is hidden from them as well.
  await waitFor(async () => (await codeOf(ana.posts.getPost({ postId }))) === Code.NotFound, {
    what: "auth to end the author's sessions",
  });
  const { accessToken } = await startSession(c.h, ana);
  const restricted = createClient(PostService, c.h.as(accessToken).transport);
  assert.equal(await codeOf(restricted.getPost({ postId })), Code.NotFound);
  assert.equal(
    await codeOf(restricted.createPost({ text: 'still here', audience: pub })),
    Code.PermissionDenied,
  );
  const until = new Date(c.h.clock.now().getTime() + 60_000);
  await moderate(
    account(3n, {
      suspended: true,
      suspendedUntil: { seconds: BigInt(Math.floor(until.getTime() / 1000)), nanos: 0 },
    }),
  );
  assert.equal(await codeOf(stranger.posts.getPost({ postId })), Code.NotFound);
  c.h.clock.advance(61_000);
  assert.equal(await codeOf(stranger.posts.getPost({ postId })), 'ok', 'the suspension ran out');
  await moderate(account(4n, { banned: true }));
  assert.equal(await codeOf(fan.posts.getPost({ postId })), Code.NotFound);
  await moderate(account(2n, {}));
  assert.equal(
    await codeOf(fan.posts.getPost({ postId })),
    Code.NotFound,
    'an older event changes nothing',
  );
});
