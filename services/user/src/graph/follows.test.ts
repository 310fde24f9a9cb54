import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { codeOf, rejectsWith, violatedFields } from '@kith/testkit';
import { withTables } from '@kith/db';
import { setDeletionScheduled } from '../profiles/profile-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';
import { followCounts } from './relationship-store.js';
import { graphDb, sharedGraph } from './graph-db.js';
// By path: the user package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startGraphHarness } from './testing/graph-harness.js';
import type { GraphHarness, Member } from './testing/graph-harness.js';

let g: GraphHarness<AuthHarness>;
beforeAll(async () => {
  g = await startGraphHarness({ start: startAuthHarness, seed: (h) => seedUser(h) });
});
afterAll(() => g?.stop());

/** The user.* graph events that name `a` and `b`, as [case, version] pairs, oldest first. */
async function edgeEvents(a: Member, b: Member) {
  const ids = new Set([a.userId, b.userId]);
  return (await g.events()).flatMap((payload) => {
    if (!payload.case?.startsWith('user') || !payload.value) return [];
    const v = payload.value as unknown as Record<string, unknown>;
    const named = Object.entries(v).filter(([k, x]) => k.endsWith('Id') && ids.has(x as string));
    return named.length === 2 ? [{ case: payload.case, value: v }] : [];
  });
}

async function countsOf(user: Member) {
  return (await followCounts(sharedGraph(g.app.database.db), [user.userId])).get(user.userId)!;
}

test('following an open account follows at once, counts it and publishes user.followed', async () => {
  const [ann, bob] = [await g.member(), await g.member()];
  const { relationship } = await ann.user.follow({ userId: bob.userId });
  assert.equal(relationship?.following, true);
  assert.equal(relationship?.followRequested, false);
  assert.deepEqual(await countsOf(bob), { followers: 1, following: 0 });
  assert.deepEqual(await countsOf(ann), { followers: 0, following: 1 });
  const { followers } = await ann.user.listFollowers({ userId: bob.userId });
  assert.deepEqual(
    followers.map((f) => [f.user?.userId, f.user?.username]),
    [[ann.userId, ann.username]],
  );
  const { relationships } = await bob.user.getRelationships({ userIds: [ann.userId] });
  assert.equal(relationships[0]?.followedBy, true);
  // Following again changes nothing: no second event, no second count.
  await ann.user.follow({ userId: bob.userId });
  assert.deepEqual(await countsOf(bob), { followers: 1, following: 0 });
  const events = await edgeEvents(ann, bob);
  assert.deepEqual(
    events.map((e) => [e.case, e.value.viaFollowRequest, e.value.version]),
    [['userFollowed', false, 1n]],
  );
});

test('following yourself is an invalid argument; an unknown or hidden user is not found', async () => {
  const ann = await g.member();
  const self = await rejectsWith(ann.user.follow({ userId: ann.userId }), Code.InvalidArgument);
  assert.deepEqual(violatedFields(self), ['user_id']);
  assert.equal(await codeOf(ann.user.follow({ userId: crypto.randomUUID() })), Code.NotFound);
  const leaving = await g.member();
  await setDeletionScheduled(
    withTables<ProfilesDb>(g.app.database.db),
    leaving.userId,
    new Date('2027-01-01T00:00:00Z'),
  );
  assert.equal(await codeOf(ann.user.follow({ userId: leaving.userId })), Code.NotFound);
  assert.equal(await codeOf(ann.user.listFollowers({ userId: leaving.userId })), Code.NotFound);
  // The owner still sees their own lists while the deletion is pending.
  assert.equal(await codeOf(leaving.user.listFollowers({ userId: leaving.userId })), 'ok');
});

test('following a locked account asks first; accepting makes the follow (via_follow_request)', async () => {
  const [ann, cat] = [await g.member(), await g.member({ locked: true })];
  const asked = await ann.user.follow({ userId: cat.userId });
  assert.equal(asked.relationship?.following, false);
  assert.equal(asked.relationship?.followRequested, true);
  assert.deepEqual(await countsOf(cat), { followers: 0, following: 0 });
  const pending = await cat.user.listFollowRequests({});
  assert.deepEqual(
    pending.followRequests.map((r) => [r.requester?.userId, r.requester?.locked]),
    [[ann.userId, false]],
  );
  const accepted = await cat.user.acceptFollowRequest({ userId: ann.userId });
  assert.equal(accepted.relationship?.followedBy, true);
  assert.equal(accepted.relationship?.followRequestReceived, false);
  assert.deepEqual(await countsOf(cat), { followers: 1, following: 0 });
  assert.deepEqual((await cat.user.listFollowRequests({})).followRequests, []);
  // Nothing is pending any more.
  assert.equal(await codeOf(cat.user.acceptFollowRequest({ userId: ann.userId })), Code.NotFound);
  const events = await edgeEvents(ann, cat);
  assert.deepEqual(
    events.map((e) => [e.case, e.value.viaFollowRequest, e.value.version]),
    [
      ['userFollowRequested', undefined, 1n],
      ['userFollowed', true, 2n],
    ],
  );
});

test('follow requests list oldest first; rejecting one tells no one and leaves no follow', async () => {
  const cat = await g.member({ locked: true });
  const [first, second, third] = [await g.member(), await g.member(), await g.member()];
  for (const requester of [first, second, third]) {
    await requester.user.follow({ userId: cat.userId });
    g.h.clock.advance(1000);
  }
  const page1 = await cat.user.listFollowRequests({ pageSize: 2 });
  const page2 = await cat.user.listFollowRequests({ pageSize: 2, pageToken: page1.nextPageToken });
  assert.deepEqual(
    [...page1.followRequests, ...page2.followRequests].map((r) => r.requester?.userId),
    [first.userId, second.userId, third.userId],
  );
  assert.equal(page2.nextPageToken, '');
  const before = (await g.events()).length;
  const rejected = await cat.user.rejectFollowRequest({ userId: second.userId });
  assert.equal(rejected.relationship?.followedBy, false);
  assert.equal((await g.events()).length, before, 'a rejection publishes nothing');
  const { relationships } = await second.user.getRelationships({ userIds: [cat.userId] });
  assert.equal(relationships[0]?.followRequested, false);
  assert.equal(relationships[0]?.following, false);
  assert.equal(
    await codeOf(cat.user.rejectFollowRequest({ userId: second.userId })),
    Code.NotFound,
  );
  // No request from someone who never asked.
  const stranger = await g.member();
  assert.equal(
    await codeOf(cat.user.rejectFollowRequest({ userId: stranger.userId })),
    Code.NotFound,
  );
});

test('unfollowing withdraws a pending request, ends a follow, and succeeds with nothing to undo', async () => {
  const [ann, cat, dan] = [await g.member(), await g.member({ locked: true }), await g.member()];
  await ann.user.follow({ userId: cat.userId });
  const withdrawn = await ann.user.unfollow({ userId: cat.userId });
  assert.equal(withdrawn.relationship?.followRequested, false);
  assert.deepEqual((await cat.user.listFollowRequests({})).followRequests, []);

  await ann.user.follow({ userId: dan.userId });
  const ended = await ann.user.unfollow({ userId: dan.userId });
  assert.equal(ended.relationship?.following, false);
  assert.deepEqual(await countsOf(dan), { followers: 0, following: 0 });
  assert.equal(await codeOf(ann.user.unfollow({ userId: dan.userId })), 'ok');
  assert.equal(await codeOf(ann.user.unfollow({ userId: crypto.randomUUID() })), 'ok');
  assert.deepEqual(
    (await edgeEvents(ann, dan)).map((e) => [e.case, e.value.version]),
    [
      ['userFollowed', 1n],
      ['userUnfollowed', 2n],
    ],
  );
});

test('an edge keeps counting its version across unfollow and a new follow', async () => {
  const [ann, bob] = [await g.member(), await g.member()];
  await ann.user.follow({ userId: bob.userId });
  await ann.user.unfollow({ userId: bob.userId });
  await ann.user.follow({ userId: bob.userId });
  assert.deepEqual(
    (await edgeEvents(ann, bob)).map((e) => [e.case, e.value.version]),
    [
      ['userFollowed', 1n],
      ['userUnfollowed', 2n],
      ['userFollowed', 3n],
    ],
  );
});

test('removing a follower ends their follow of the caller (user.unfollowed)', async () => {
  const [ann, bob] = [await g.member(), await g.member()];
  await ann.user.follow({ userId: bob.userId });
  const { relationship } = await bob.user.removeFollower({ userId: ann.userId });
  assert.equal(relationship?.followedBy, false);
  assert.deepEqual((await bob.user.listFollowers({ userId: bob.userId })).followers, []);
  assert.deepEqual(await countsOf(bob), { followers: 0, following: 0 });
  assert.deepEqual(
    (await edgeEvents(ann, bob)).map((e) => [e.case, e.value.followerId, e.value.version]),
    [
      ['userFollowed', ann.userId, 1n],
      ['userUnfollowed', ann.userId, 2n],
    ],
  );
  assert.equal(await codeOf(bob.user.removeFollower({ userId: ann.userId })), 'ok');
});

test('follower and following lists page newest first through every edge exactly once', async () => {
  const star = await g.member();
  const fans: Member[] = [];
  for (let i = 0; i < 23; i++) {
    const fan = await g.member();
    await fan.user.follow({ userId: star.userId });
    await star.user.follow({ userId: fan.userId });
    // Some follows share a millisecond: the id breaks the tie.
    if (i % 3 === 0) g.h.clock.advance(10);
    fans.push(fan);
  }
  for (const side of ['followers', 'following'] as const) {
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page =
        side === 'followers'
          ? await star.user.listFollowers({ userId: star.userId, pageSize: 10, pageToken })
          : await star.user.listFollowing({ userId: star.userId, pageSize: 10, pageToken });
      const entries = 'followers' in page ? page.followers : page.following;
      assert.ok(entries.length <= 10);
      seen.push(...entries.map((e) => e.user!.userId));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    assert.equal(pages, 3, side);
    assert.equal(new Set(seen).size, 23, `${side}: no duplicates`);
    // Newest first: the reverse of the order the follows were made in, ties by id.
    const expected = fans
      .map((f, i) => ({ id: f.userId, at: Math.floor(i / 3) }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .map((f) => f.id);
    assert.deepEqual(seen, expected, side);
  }
});

test("a page token is refused on another user's list", async () => {
  const [star, other, viewer] = [await g.member(), await g.member(), await g.member()];
  for (let i = 0; i < 3; i++) await (await g.member()).user.follow({ userId: star.userId });
  const page = await viewer.user.listFollowers({ userId: star.userId, pageSize: 1 });
  assert.notEqual(page.nextPageToken, '');
  const err = await rejectsWith(
    viewer.user.listFollowers({ userId: other.userId, pageToken: page.nextPageToken }),
    Code.InvalidArgument,
  );
  assert.deepEqual(violatedFields(err), ['page_token']);
});

test('hidden follow lists are an empty page to others and whole to their owner', async () => {
  const [shy, fan] = [await g.member({ hideFollowLists: true }), await g.member()];
  await fan.user.follow({ userId: shy.userId });
  await shy.user.follow({ userId: fan.userId });
  assert.deepEqual((await fan.user.listFollowers({ userId: shy.userId })).followers, []);
  assert.deepEqual((await fan.user.listFollowing({ userId: shy.userId })).following, []);
  assert.equal((await shy.user.listFollowers({ userId: shy.userId })).followers.length, 1);
  assert.equal((await shy.user.listFollowing({ userId: shy.userId })).following.length, 1);
});

test('50 concurrent follows and unfollows leave the counts equal to the rows', async () => {
  const star = await g.member();
  const fans = await Promise.all(Array.from({ length: 10 }, () => g.member()));
  const calls = Array.from({ length: 50 }, (_, i) => {
    const fan = fans[i % fans.length]!;
    return i % 2 === 0
      ? fan.user.follow({ userId: star.userId })
      : fan.user.unfollow({ userId: star.userId });
  });
  await Promise.all(calls);
  const db = graphDb(g.app.database.db);
  const rows = await db
    .selectFrom('follows')
    .select('follower_id')
    .where('followee_id', '=', star.userId)
    .execute();
  assert.equal((await countsOf(star)).followers, rows.length);
  for (const fan of fans) {
    const following = rows.some((r) => r.follower_id === fan.userId) ? 1 : 0;
    assert.equal((await countsOf(fan)).following, following);
  }
});

test('unlocking an account accepts the follow requests pending to it', async () => {
  const cat = await g.member({ locked: true });
  const [ann, bob] = [await g.member(), await g.member()];
  await ann.user.follow({ userId: cat.userId });
  await bob.user.follow({ userId: cat.userId });
  await bob.user.unfollow({ userId: cat.userId }); // withdrawn: stays withdrawn
  await cat.user.updateProfile({ profile: { locked: false }, updateMask: { paths: ['locked'] } });
  assert.deepEqual(
    (await cat.user.listFollowers({ userId: cat.userId })).followers.map((f) => f.user?.userId),
    [ann.userId],
  );
  assert.deepEqual((await cat.user.listFollowRequests({})).followRequests, []);
  assert.deepEqual(await countsOf(cat), { followers: 1, following: 0 });
  const last = (await edgeEvents(ann, cat)).at(-1);
  assert.deepEqual(
    [last?.case, last?.value.viaFollowRequest, last?.value.version],
    ['userFollowed', true, 2n],
  );
});

test('GetProfile counts are cached, yet every follow change shows on the very next call', async () => {
  const [ann, bob, cy] = [await g.member(), await g.member(), await g.member()];
  const countsSeenBy = async (viewer: Member, user: Member) => {
    const { profile } = await viewer.user.getProfile({
      lookup: { case: 'userId', value: user.userId },
    });
    return [profile!.followersCount, profile!.followingCount];
  };
  // Read first, so the counts sit in the cache before each change.
  assert.deepEqual(await countsSeenBy(cy, bob), [0, 0]);
  await ann.user.follow({ userId: bob.userId });
  assert.deepEqual(await countsSeenBy(cy, bob), [1, 0]);
  assert.deepEqual(await countsSeenBy(cy, ann), [0, 1]);
  await bob.user.follow({ userId: ann.userId });
  assert.deepEqual(await countsSeenBy(cy, bob), [1, 1]);
  await ann.user.unfollow({ userId: bob.userId });
  assert.deepEqual(await countsSeenBy(cy, bob), [0, 1]);
  await ann.user.removeFollower({ userId: bob.userId });
  assert.deepEqual(await countsSeenBy(cy, bob), [0, 0]);
  assert.deepEqual(await countsSeenBy(cy, ann), [0, 0]);
  await ann.user.follow({ userId: bob.userId });
  assert.deepEqual(await countsSeenBy(cy, bob), [1, 0]);
  // A block removes the follows both ways: both sides' counts drop at once.
  await bob.user.block({ userId: ann.userId });
  assert.deepEqual(await countsSeenBy(cy, bob), [0, 0]);
  assert.deepEqual(await countsSeenBy(cy, ann), [0, 0]);
});
