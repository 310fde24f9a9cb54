import { afterAll, beforeAll, test } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import { PostService } from '@kith/gen/kith/post/v1/post_pb.js';
import { rpc } from '@kith/runtime';
import { accessMatrix, accessRow, assertEveryIdMethodCovered } from '@kith/testkit';
import type { Answer } from '@kith/testkit';
import assert from 'node:assert/strict';
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { Person, PostHarness } from '../testing/post-harness.js';

// Every PostService RPC that takes an id, called by each kind of caller on a followers-only
// post: its author, a follower, a stranger, a follower the author blocked, and an anonymous
// caller. Whoever may not read the post learns nothing (NotFound, as for an unknown id); a
// write by anyone but the author is NotFound too. After every refusal the post tables and the
// outbox are exactly as before.
const actors = ['author', 'follower', 'stranger', 'blocked', 'anonymous'] as const;
type Actor = (typeof actors)[number];

let c: PostHarness<AuthHarness>;
let people: Record<Exclude<Actor, 'anonymous'>, Person>;
beforeAll(async () => {
  c = await startPostHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    anonymous: (h) => h.withHeaders({}).transport,
  });
  people = {
    author: await c.person(),
    follower: await c.person(),
    stranger: await c.person(),
    blocked: await c.person(),
  };
  await c.follow(people.follower, people.author);
  await c.follow(people.blocked, people.author);
  await c.block(people.author, people.blocked);
});
afterAll(() => c?.stop());

const client = (actor: Actor) => (actor === 'anonymous' ? c.anonymous : people[actor].posts);

interface World {
  postId: string;
  circleId: string;
  before: unknown;
}

/** A followers-only post of the author's, liked, bookmarked and reposted by the author. */
async function world(): Promise<World> {
  const author = people.author;
  const { post } = await author.posts.createPost({
    text: 'for my followers',
    audience: { kind: { case: 'followers', value: {} } },
  });
  const postId = post!.postId;
  await author.posts.like({ postId });
  const circleId = await c.circle(author, people.follower);
  return { postId, circleId, before: await c.snapshot() };
}

const intact = async (w: World) => assert.deepEqual(await c.snapshot(), w.before);

/** Readers of a followers-only post: author and follower; everyone else NotFound. */
const read = (anonymous: Answer): Record<Actor, Answer> => ({
  author: 'ok',
  follower: 'ok',
  stranger: Code.NotFound,
  blocked: Code.NotFound,
  anonymous,
});
/** The author's own writes: anyone else NotFound. */
const own: Record<Actor, Answer> = {
  author: 'ok',
  follower: Code.NotFound,
  stranger: Code.NotFound,
  blocked: Code.NotFound,
  anonymous: Code.Unauthenticated,
};

const rows = [
  accessRow<Actor, World>({
    method: rpc(PostService, 'getPost'),
    setup: world,
    call: (a, w) => client(a).getPost({ postId: w.postId }),
    expect: read(Code.NotFound),
    intact,
  }),
  accessRow<Actor, World>({
    method: rpc(PostService, 'getPosts'),
    setup: world,
    // A batch leaves out what the caller may not see instead of refusing.
    call: async (a, w) => {
      const { posts } = await client(a).getPosts({ postIds: [w.postId] });
      if (posts.length === 0) throw new ConnectError('none', Code.NotFound);
    },
    expect: read(Code.Unauthenticated),
    intact,
  }),
  accessRow<Actor, World>({
    method: rpc(PostService, 'getThread'),
    setup: world,
    call: (a, w) => client(a).getThread({ postId: w.postId }),
    expect: read(Code.NotFound),
    intact,
  }),
  ...(['getPostHistory', 'listReplies', 'listLikes'] as const).map((method) =>
    accessRow<Actor, World>({
      method: rpc(PostService, method),
      setup: world,
      call: (a, w) => client(a)[method]({ postId: w.postId }),
      expect: read(Code.Unauthenticated),
      intact,
    }),
  ),
  ...(['like', 'unlike', 'bookmark'] as const).map((method) =>
    accessRow<Actor, World>({
      method: rpc(PostService, method),
      setup: world,
      call: (a, w) => client(a)[method]({ postId: w.postId }),
      expect: read(Code.Unauthenticated),
      intact,
    }),
  ),
  accessRow<Actor, World>({
    method: rpc(PostService, 'repost'),
    setup: world,
    call: (a, w) => client(a).repost({ postId: w.postId }),
    // A follower reads it but may not widen it to their own followers.
    expect: { ...read(Code.Unauthenticated), follower: Code.FailedPrecondition },
    intact,
  }),
  accessRow<Actor, World>({
    method: rpc(PostService, 'createPost'),
    setup: world,
    call: (a, w) => client(a).createPost({ text: 'a reply', replyToPostId: w.postId }),
    expect: read(Code.Unauthenticated),
    intact,
  }),
  accessRow<Actor, World>({
    method: rpc(PostService, 'editPost'),
    setup: world,
    call: (a, w) =>
      client(a).editPost({ postId: w.postId, text: 'changed', updateMask: { paths: ['text'] } }),
    expect: own,
    intact,
  }),
  accessRow<Actor, World>({
    method: rpc(PostService, 'deletePost'),
    setup: world,
    call: (a, w) => client(a).deletePost({ postId: w.postId }),
    expect: own,
    intact,
  }),
  accessRow<Actor, World>({
    method: rpc(PostService, 'getCircleTimeline'),
    setup: world,
    call: (a, w) => client(a).getCircleTimeline({ circleId: w.circleId }),
    expect: read(Code.Unauthenticated),
    intact,
  }),
  accessRow<Actor, World>({
    method: rpc(PostService, 'getUserTimeline'),
    setup: world,
    call: (a) => client(a).getUserTimeline({ userId: people.author.userId }),
    // Everyone reads the author's timeline but a user across a block.
    expect: { ...read('ok'), stranger: 'ok' },
    intact,
  }),
];

accessMatrix(test, actors, rows);

test('every PostService RPC that takes an id is in the matrix or exempt with a reason', () => {
  assertEveryIdMethodCovered([PostService], rows, {
    [rpc(PostService, 'unbookmark')]: 'removes only the caller’s own bookmark; nothing to refuse',
    [rpc(PostService, 'unrepost')]:
      'removes only the caller’s own repost and answers 0 for a post they may not see (engagement tests)',
    [rpc(PostService, 'searchPosts')]:
      'author_id only narrows a search that is visibility-checked row by row (visibility.test.ts)',
    [rpc(PostService, 'completeUpload')]: 'media: its own tests',
    [rpc(PostService, 'getMedia')]: 'media: its own tests',
    [rpc(PostService, 'updateMedia')]: 'media: its own tests',
  });
});
