import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { AudienceSchema } from '@kith/gen/kith/post/v1/types_pb.js';
import { codeOf } from '@kith/testkit';
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

type Kind = 'public' | 'followers' | 'circle' | 'mentioned';
type Reader = 'author' | 'follower' | 'mentioned' | 'member' | 'stranger' | 'blocked' | 'anonymous';

/** Who reads which audience (the contract's rules); everyone else gets NotFound. */
const READS: Record<Kind, Reader[]> = {
  public: ['author', 'follower', 'mentioned', 'member', 'stranger', 'anonymous'],
  followers: ['author', 'follower', 'mentioned'],
  circle: ['author', 'member'],
  mentioned: ['author', 'mentioned'],
};

test('the visibility matrix: each audience reaches exactly its readers on every read, list, search and count', async () => {
  const author = await c.person({ indexable: true });
  const follower = await c.person();
  const mentioned = await c.person();
  const member = await c.person();
  const stranger = await c.person();
  const blocked = await c.person();
  await c.follow(follower, author);
  await c.follow(blocked, author);
  await c.block(author, blocked);
  const circleId = await c.circle(author, member);

  const word = `zebra${Date.now()}`;
  const make = async (kind: Kind) => {
    const audience: MessageInitShape<typeof AudienceSchema> =
      kind === 'public'
        ? { kind: { case: 'public' as const, value: {} } }
        : kind === 'followers'
          ? { kind: { case: 'followers' as const, value: {} } }
          : kind === 'circle'
            ? { kind: { case: 'circles' as const, value: { circleIds: [circleId] } } }
            : { kind: { case: 'mentionedOnly' as const, value: {} } };
    // The circle post mentions a stranger, which grants them nothing.
    const at = kind === 'circle' ? stranger.username : mentioned.username;
    const { post } = await author.posts.createPost({
      text: `${kind} ${word} #${word}${kind} hello @${at}`,
      audience,
    });
    const { post: reply } = await author.posts.createPost({
      text: `${kind} reply ${word}`,
      replyToPostId: post!.postId,
    });
    await author.posts.like({ postId: post!.postId });
    return { root: post!.postId, reply: reply!.postId };
  };
  const posts = {
    public: await make('public'),
    followers: await make('followers'),
    circle: await make('circle'),
    mentioned: await make('mentioned'),
  };
  const readers: Record<Reader, Person['posts']> = {
    author: author.posts,
    follower: follower.posts,
    mentioned: mentioned.posts,
    member: member.posts,
    stranger: stranger.posts,
    blocked: blocked.posts,
    anonymous: c.anonymous,
  };

  for (const [kind, ids] of Object.entries(posts) as [Kind, { root: string; reply: string }][]) {
    for (const [reader, client] of Object.entries(readers) as [Reader, Person['posts']][]) {
      const may = READS[kind].includes(reader);
      const where = `${reader} on a ${kind} post`;
      const expected = may ? 'ok' : Code.NotFound;
      assert.equal(
        await codeOf(client.getPost({ postId: ids.root })),
        expected,
        `GetPost: ${where}`,
      );
      assert.equal(
        await codeOf(client.getThread({ postId: ids.reply })),
        expected,
        `GetThread: ${where}`,
      );
      if (reader !== 'anonymous') {
        assert.equal(
          await codeOf(client.listReplies({ postId: ids.root })),
          expected,
          `ListReplies: ${where}`,
        );
        assert.equal(
          await codeOf(client.listLikes({ postId: ids.root })),
          expected,
          `ListLikes: ${where}`,
        );
        assert.equal(
          await codeOf(client.getPostHistory({ postId: ids.root })),
          expected,
          `history: ${where}`,
        );
        const batch = await client.getPosts({ postIds: [ids.root, ids.reply] });
        assert.equal(batch.posts.length, may ? 2 : 0, `GetPosts: ${where}`);
      }
      if (may) {
        const thread = await client.getThread({ postId: ids.root });
        assert.deepEqual(
          thread.descendants.map((d) => d.post?.postId),
          [ids.reply],
          `thread: ${where}`,
        );
        assert.equal(thread.post?.replyCount, 1);
        assert.equal(thread.post?.likeCount, 1);
        const up = await client.getThread({ postId: ids.reply });
        assert.deepEqual(
          up.ancestors.map((a) => a.postId),
          [ids.root],
        );
      }
    }
  }

  // The circle post shows its circle to members only, and the stranger it mentions gets no
  // access (nor a mention notification).
  const seen = await member.posts.getPost({ postId: posts.circle.root });
  assert.deepEqual(seen.post?.audience?.kind.value, {
    $typeName: 'kith.post.v1.CirclesAudience',
    circleIds: [circleId],
  });
  const mentions = (await c.events()).filter(
    (e) => e.case === 'postMentioned' && e.value.postId === posts.circle.root,
  );
  assert.equal(mentions.length, 0);

  // Search: only what the reader may see, in the reader's scope.
  const found = async (client: Person['posts']) =>
    (await client.searchPosts({ query: word })).posts.map((p) => p.postId).sort();
  assert.deepEqual(
    await found(author.posts),
    Object.values(posts)
      .flatMap((p) => [p.root, p.reply])
      .sort(),
    'the author finds all their own',
  );
  assert.deepEqual(await found(stranger.posts), [posts.public.root, posts.public.reply].sort());
  assert.deepEqual(
    await found(mentioned.posts),
    [posts.public.root, posts.public.reply, posts.followers.root, posts.mentioned.root].sort(),
    'mentions bring followers-only and mentioned-only posts into scope, replies without the mention not',
  );
  assert.deepEqual(await found(blocked.posts), []);

  // Hashtag timelines and trends: public posts only, whoever asks.
  for (const kind of ['public', 'followers', 'circle', 'mentioned'] as Kind[]) {
    const tag = `${word}${kind}`;
    for (const client of [author.posts, follower.posts, member.posts, c.anonymous]) {
      const { items } = await client.getHashtagTimeline({ hashtag: tag });
      assert.deepEqual(
        items.map((i) => i.post?.postId),
        kind === 'public' ? [posts.public.root] : [],
        `#${kind}`,
      );
    }
  }
  const trends = (await stranger.posts.getTrendingHashtags({ limit: 50 })).hashtags.map(
    (h) => h.tag,
  );
  assert.ok(trends.includes(`${word}public`));
  for (const kind of ['followers', 'circle', 'mentioned'])
    assert.ok(!trends.includes(`${word}${kind}`));
});

test('a block hides each from the other both ways, and leaving a circle ends access to its posts', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const { post } = await ana.posts.createPost({
    text: 'public',
    audience: { kind: { case: 'public', value: {} } },
  });
  const { post: bos } = await bo.posts.createPost({
    text: 'mine',
    audience: { kind: { case: 'public', value: {} } },
  });
  await bo.posts.like({ postId: post!.postId });
  await c.block(bo, ana);
  assert.equal(await codeOf(bo.posts.getPost({ postId: post!.postId })), Code.NotFound);
  assert.equal(
    await codeOf(ana.posts.getPost({ postId: bos!.postId })),
    Code.NotFound,
    'the blocker is hidden too',
  );
  const likes = await ana.posts.listLikes({ postId: post!.postId });
  assert.equal(likes.likes.length, 0, 'a blocked liker is left out');
  assert.equal(
    (await ana.posts.getPost({ postId: post!.postId })).post?.likeCount,
    1,
    'counts are totals',
  );

  const cy = await c.person();
  const circleId = await c.circle(ana, cy);
  const { post: inCircle } = await ana.posts.createPost({
    text: 'members only',
    audience: { kind: { case: 'circles', value: { circleIds: [circleId] } } },
  });
  assert.equal(await codeOf(cy.posts.getPost({ postId: inCircle!.postId })), 'ok');
  await c.leave(circleId, cy);
  assert.equal(await codeOf(cy.posts.getPost({ postId: inCircle!.postId })), Code.NotFound);
  assert.equal(await codeOf(cy.posts.getCircleTimeline({ circleId })), Code.NotFound);
});
