import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { waitFor } from '@kith/testkit';
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { Person, PostHarness } from '../testing/post-harness.js';
import { HOME_CAP, homeKey } from './home-cache.js';
import { timelinePage } from './timeline-page.js';
import { homeEntries } from './timeline-store.js';

// The home timeline's two paths: the cached list (fan-out on write, rebuilt from Postgres for
// a returning user, wide-reach authors merged on read) and the Postgres query. For the same
// user and request they answer the same page, whatever happened since the list was built.

let c: PostHarness<AuthHarness>;
beforeAll(async () => {
  c = await startPostHarness({
    // Three followers make an author wide reach here.
    start: (o) => startAuthHarness({ ...o, env: { POST_FANOUT_MAX_FOLLOWERS: '2' } }),
    seed: (h) => seedUser(h),
    anonymous: (h) => h.withHeaders({}).transport,
  });
});
afterAll(() => c?.stop());

const pub = { kind: { case: 'public' as const, value: {} } };

/** The page the Postgres query gives, as ids with their reposter. */
async function postgresPage(viewer: Person, req: { pageSize?: number; pageToken?: string } = {}) {
  const now = c.h.clock.now();
  const flags = { excludeReplies: false, excludeReposts: false };
  const page = await timelinePage(
    c.app,
    viewer.userId,
    now,
    homeEntries(c.app.database.db, viewer.userId, now, flags),
    { pageSize: req.pageSize ?? 0, pageToken: req.pageToken ?? '' },
    `home:${viewer.userId}:false:false`,
  );
  return {
    ids: page.items.map((i) => [i.post?.postId, i.repost?.repostedBy?.userId ?? '']),
    next: page.nextPageToken,
  };
}

async function cachedPage(viewer: Person, req: { pageSize?: number; pageToken?: string } = {}) {
  const page = await viewer.posts.getHomeTimeline(req);
  return {
    ids: page.items.map((i) => [i.post?.postId, i.repost?.repostedBy?.userId ?? '']),
    next: page.nextPageToken,
  };
}

async function cachedList(viewer: Person) {
  return c.app.ctx.lists.read(homeKey(viewer.userId), { ttlMs: 60_000 });
}

/** Until the fan-out consumer has pushed `count` entries onto the viewer's list. */
async function listHolds(viewer: Person, count: number) {
  await waitFor(async () => ((await cachedList(viewer)) ?? []).length >= count);
}

async function say(person: Person, text: string) {
  c.h.clock.advance(1000);
  const { post } = await person.posts.createPost({ text, audience: pub });
  return post!.postId;
}

test('the cached path and the Postgres path give the same pages, through posts, reposts, deletions, mutes, blocks and paging', async () => {
  const me = await c.person();
  const ana = await c.person();
  const bo = await c.person();
  const cy = await c.person();
  await c.follow(me, ana);
  await c.follow(me, bo);
  assert.equal(await cachedList(me), null, 'no list before the first read');
  await say(ana, 'ana 1');
  assert.deepEqual((await cachedPage(me)).ids, (await postgresPage(me)).ids, 'a rebuilt list');
  assert.ok(await cachedList(me), 'the first read built the list');

  const later = await say(bo, 'bo 1');
  await listHolds(me, 2);
  const cyPost = await say(cy, 'cy 1');
  c.h.clock.advance(1000);
  await ana.posts.repost({ postId: cyPost });
  await listHolds(me, 3);
  await say(ana, 'ana 2');
  await listHolds(me, 4);
  assert.deepEqual((await cachedPage(me)).ids, (await postgresPage(me)).ids, 'pushed entries');

  await bo.posts.deletePost({ postId: later });
  await ana.posts.unrepost({ postId: cyPost });
  assert.deepEqual(
    (await cachedPage(me)).ids,
    (await postgresPage(me)).ids,
    'a deletion and an unrepost',
  );
  await c.mute(me, ana);
  assert.deepEqual((await cachedPage(me)).ids, (await postgresPage(me)).ids, 'a mute');
  await c.app.database.db.deleteFrom('mutes').execute();
  await c.block(bo, me);
  assert.deepEqual((await cachedPage(me)).ids, (await postgresPage(me)).ids, 'a block');

  for (let i = 0; i < 5; i++) await say(ana, `ana more ${i}`);
  await listHolds(me, 9);
  let cached = await cachedPage(me, { pageSize: 2 });
  let direct = await postgresPage(me, { pageSize: 2 });
  for (let pages = 0; pages < 5; pages++) {
    assert.deepEqual(cached.ids, direct.ids, `page ${pages + 1}`);
    if (!cached.next) break;
    cached = await cachedPage(me, { pageSize: 2, pageToken: cached.next });
    direct = await postgresPage(me, { pageSize: 2, pageToken: direct.next });
  }
});

test('a wide-reach author is not fanned out but merged on read; a new follow drops the list so it is rebuilt', async () => {
  const star = await c.person();
  const fans = [await c.person(), await c.person(), await c.person()];
  for (const fan of fans) await c.follow(fan, star);
  const me = fans[0]!;
  await say(star, 'warm up');
  await me.posts.getHomeTimeline({});
  const wide = await c.app.database.db
    .selectFrom('users')
    .select('wide_reach')
    .where('user_id', '=', star.userId)
    .executeTakeFirstOrThrow();
  assert.equal(wide.wide_reach, true);
  const before = (await cachedList(me))!.length;
  const news = await say(star, 'to the crowd');
  const fresh = await cachedPage(me);
  assert.equal(fresh.ids[0]![0], news, 'merged from Postgres');
  assert.equal((await cachedList(me))!.length, before, 'not pushed');
  assert.deepEqual(fresh.ids, (await postgresPage(me)).ids);

  const other = await c.person();
  await say(other, 'before the follow');
  await c.follow(me, other);
  assert.equal(await cachedList(me), null, 'the follow dropped the list');
  assert.deepEqual((await cachedPage(me)).ids, (await postgresPage(me)).ids);
});

test(`a list keeps the newest ${HOME_CAP} entries; older pages come from Postgres`, async () => {
  const me = await c.person();
  const ana = await c.person();
  await c.follow(me, ana);
  await say(ana, 'oldest');
  await me.posts.getHomeTimeline({});
  // Fill the list past its cap without waiting on the fan-out for each post: the list is
  // written as a full one would be.
  const items = Array.from(
    { length: HOME_CAP },
    (_, i) =>
      `${4_000_000_000_000 - i}|00000000-0000-7000-8000-${String(i).padStart(12, '0')}|00000000-0000-7000-8000-${String(i).padStart(12, '0')}|`,
  );
  await c.app.ctx.lists.replace(homeKey(me.userId), items, { cap: HOME_CAP, ttlMs: 60_000 });
  // None of those entries is a post (they fail the read-time check), so the page runs past
  // the full list and is answered from Postgres: the real post is there.
  const page = await cachedPage(me);
  assert.equal(page.ids.length, 1);
  assert.deepEqual(page.ids, (await postgresPage(me)).ids);
});
