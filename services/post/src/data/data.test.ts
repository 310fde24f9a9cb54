import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { DataExportPartReady } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { exportBucketDir, filesystemBlobStorage, partObjectKey } from '@kith/runtime';
import { codeOf, waitFor } from '@kith/testkit';
import { strFromU8, unzipSync } from 'fflate';
import { sql } from 'kysely';
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { PostHarness } from '../testing/post-harness.js';

// Post's part in the user service's data sagas: user.erased deletes the user's posts, takes back
// their likes and reposts and leaves no row naming them; user.export_requested writes their part.

let c: PostHarness<AuthHarness>;
beforeAll(async () => {
  c = await startPostHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    anonymous: (h) => h.withHeaders({}).transport,
  });
});
afterAll(() => c?.stop());

type Payload = Envelope['payload'];
const pub = { kind: { case: 'public' as const, value: {} } };

async function eventsUntil(before: number, done: (p: Payload) => boolean): Promise<Payload[]> {
  let found: Payload[] = [];
  await waitFor(async () => {
    found = (await c.events()).slice(before);
    return found.some(done);
  });
  return found;
}

/** Rows in any post table that name the user, by table. */
async function rowsNaming(userId: string): Promise<Record<string, number>> {
  const db = c.app.database.db;
  const count = async (query: { execute(): Promise<unknown[]> }) => (await query.execute()).length;
  return {
    posts: await count(db.selectFrom('posts').select('id').where('author_id', '=', userId)),
    likes: await count(db.selectFrom('likes').select('post_id').where('user_id', '=', userId)),
    bookmarks: await count(
      db.selectFrom('bookmarks').select('post_id').where('user_id', '=', userId),
    ),
    reposts: await count(db.selectFrom('reposts').select('id').where('user_id', '=', userId)),
    users: await count(db.selectFrom('users').select('user_id').where('user_id', '=', userId)),
    follows: await count(
      db
        .selectFrom('follows')
        .select('follower_id')
        .where((eb) => eb.or([eb('follower_id', '=', userId), eb('followee_id', '=', userId)])),
    ),
    blocks: await count(
      db
        .selectFrom('blocks')
        .select('blocker_id')
        .where((eb) => eb.or([eb('blocker_id', '=', userId), eb('blocked_id', '=', userId)])),
    ),
    memberships: await count(
      db.selectFrom('circle_members').select('circle_id').where('user_id', '=', userId),
    ),
    mentions: await count(
      db
        .selectFrom('posts')
        .select('id')
        .where((eb) =>
          eb.or([
            sql<boolean>`mentions @> ${JSON.stringify([{ user_id: userId }])}::jsonb`,
            sql<boolean>`${userId}::uuid = any(granted_user_ids)`,
          ]),
        ),
    ),
  };
}

test("user.erased deletes the user's posts, takes back their likes and reposts, and leaves no row naming them", async () => {
  const ana = await c.person();
  const bo = await c.person();
  const cy = await c.person();
  await c.follow(ana, bo);
  await c.follow(bo, ana);
  await c.circle(bo, ana);
  const { post: mine } = await ana.posts.createPost({ text: 'mine #gone', audience: pub });
  const { post: hers } = await bo.posts.createPost({
    text: `hi @${ana.username}`,
    audience: { kind: { case: 'mentionedOnly', value: {} } },
  });
  const { post: open } = await bo.posts.createPost({ text: 'open', audience: pub });
  const { post: reply } = await bo.posts.createPost({ text: 'reply', replyToPostId: mine!.postId });
  await ana.posts.like({ postId: open!.postId });
  await ana.posts.repost({ postId: open!.postId });
  await ana.posts.bookmark({ postId: hers!.postId });
  await c.block(cy, ana);
  assert.ok(
    Object.values(await rowsNaming(ana.userId)).every((n) => n > 0),
    JSON.stringify(await rowsNaming(ana.userId)),
  );

  const before = (await c.events()).length;
  await c.publishAs('user', { case: 'userErased', value: { userId: ana.userId } });
  const events = await eventsUntil(before, (p) => p.case === 'dataErasureCompleted');
  assert.deepEqual(events.map((e) => e.case).sort(), [
    'dataErasureCompleted',
    'postDeleted',
    'postUnliked',
    'postUnreposted',
    'userErased',
  ]);
  assert.deepEqual(await rowsNaming(ana.userId), {
    posts: 0,
    likes: 0,
    bookmarks: 0,
    reposts: 0,
    users: 0,
    follows: 0,
    blocks: 0,
    memberships: 0,
    mentions: 0,
  });
  const after = await bo.posts.getPost({ postId: open!.postId });
  assert.equal(after.post?.likeCount, 0);
  assert.equal(after.post?.repostCount, 0);
  assert.equal(
    await codeOf(bo.posts.getPost({ postId: reply!.postId })),
    'ok',
    "others' replies stay",
  );
  assert.equal(await codeOf(bo.posts.getPost({ postId: mine!.postId })), Code.NotFound);
  assert.equal(
    (await bo.posts.getPost({ postId: hers!.postId })).post?.text,
    `hi @${ana.username}`,
  );
});

test("post's export part holds the user's posts with revisions and their likes, bookmarks and reposts, and nobody else's text", async () => {
  const ana = await c.person();
  const bo = await c.person();
  const { post } = await ana.posts.createPost({ text: 'first', audience: pub });
  await ana.posts.editPost({
    postId: post!.postId,
    text: 'second',
    updateMask: { paths: ['text'] },
  });
  const { post: theirs } = await bo.posts.createPost({ text: 'bo secret words', audience: pub });
  await ana.posts.like({ postId: theirs!.postId });
  await ana.posts.bookmark({ postId: theirs!.postId });

  const dataExportId = crypto.randomUUID();
  const before = (await c.events()).length;
  await c.publishAs('user', {
    case: 'userExportRequested',
    value: { userId: ana.userId, dataExportId },
  });
  const events = await eventsUntil(before, (p) => p.case === 'dataExportPartReady');
  const part = events.find((p) => p.case === 'dataExportPartReady')!.value as DataExportPartReady;
  assert.equal(part.objectKey, partObjectKey(dataExportId, KithService.POST));
  const zip = await filesystemBlobStorage(exportBucketDir(c.app.ctx)).get(part.objectKey);
  assert.ok(zip);
  const files = unzipSync(zip);
  const json = (name: string) =>
    JSON.parse(strFromU8(files[`${name}.json`]!)) as Record<string, unknown>[];
  const posts = json('posts');
  assert.deepEqual(
    posts.map((p) => p.text),
    ['second'],
  );
  assert.deepEqual(
    (posts[0]!.revisions as { text: string }[]).map((r) => r.text),
    ['first', 'second'],
  );
  assert.deepEqual(
    json('likes').map((l) => l.post_id),
    [theirs!.postId],
  );
  assert.deepEqual(
    json('bookmarks').map((l) => l.post_id),
    [theirs!.postId],
  );
  const text = Object.values(files)
    .map((f) => strFromU8(f))
    .join('\n');
  assert.ok(!text.includes('bo secret words'));
});
