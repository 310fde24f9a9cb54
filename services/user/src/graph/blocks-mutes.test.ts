import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { appliedEdgeVersionMigrations, applyEdgeEvent } from '@kith/db';
import { UserUnmuteReason } from '@kith/gen/kith/events/v1/user_events_pb.js';
import { codeOf, rejectsWith, violatedFields } from '@kith/testkit';
import type { Kysely } from 'kysely';
// By path: the user package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { expireMutes } from './mutes.js';
import { followCounts } from './relationship-store.js';
import { sharedGraph } from './graph-db.js';
import { startGraphHarness } from './testing/graph-harness.js';
import type { GraphHarness, Member } from './testing/graph-harness.js';

let g: GraphHarness<AuthHarness>;
beforeAll(async () => {
  g = await startGraphHarness({ start: startAuthHarness, seed: (h) => seedUser(h) });
});
afterAll(() => g?.stop());

const MINUTE = 60_000;

/** The user.* events that name both users, oldest first. */
async function pairEvents(a: Member, b: Member) {
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

test('a block removes follows and requests both ways, adjusts counts, and unblocking restores nothing', async () => {
  const [ann, bob] = [await g.member({ locked: true }), await g.member()];
  const cat = await g.member({ locked: true });
  await bob.user.follow({ userId: ann.userId }); // a request: ann is locked
  await ann.user.follow({ userId: bob.userId }); // a follow
  await cat.user.follow({ userId: bob.userId });
  await bob.user.follow({ userId: cat.userId }); // a request, untouched by ann's block
  const { relationship } = await ann.user.block({ userId: bob.userId });
  assert.deepEqual(
    [relationship?.blocking, relationship?.following, relationship?.followRequestReceived],
    [true, false, false],
  );
  assert.deepEqual(await countsOf(ann), { followers: 0, following: 0 });
  assert.deepEqual(await countsOf(bob), { followers: 1, following: 0 });
  assert.deepEqual((await ann.user.listFollowRequests({})).followRequests, []);
  assert.equal((await cat.user.listFollowRequests({})).followRequests.length, 1);
  assert.deepEqual(
    (await pairEvents(ann, bob)).map((e) => [e.case, e.value.version]),
    [
      ['userFollowRequested', 1n],
      ['userFollowed', 1n],
      ['userUnfollowed', 2n],
      ['userBlocked', 1n],
    ],
  );
  const listed = await ann.user.listBlocks({});
  assert.deepEqual(
    listed.blocks.map((b) => b.user?.userId),
    [bob.userId],
  );
  const unblocked = await ann.user.unblock({ userId: bob.userId });
  assert.equal(unblocked.relationship?.blocking, false);
  assert.equal(unblocked.relationship?.following, false, 'the follow does not come back');
  assert.deepEqual((await ann.user.listBlocks({})).blocks, []);
  assert.equal(await codeOf(ann.user.unblock({ userId: bob.userId })), 'ok');
  const last = (await pairEvents(ann, bob)).at(-1);
  assert.deepEqual([last?.case, last?.value.version], ['userUnblocked', 2n]);
});

test('the blocked user meets NotFound; the blocker meets FailedPrecondition on Follow', async () => {
  const [ann, bob] = [await g.member(), await g.member()];
  await ann.user.block({ userId: bob.userId });
  assert.equal(await codeOf(bob.user.follow({ userId: ann.userId })), Code.NotFound);
  assert.equal(await codeOf(bob.user.mute({ userId: ann.userId })), Code.NotFound);
  assert.equal(await codeOf(bob.user.listFollowers({ userId: ann.userId })), Code.NotFound);
  assert.equal(await codeOf(bob.user.listFollowing({ userId: ann.userId })), Code.NotFound);
  assert.equal(await codeOf(ann.user.follow({ userId: bob.userId })), Code.FailedPrecondition);
  // The blocker still reads the lists of the user they block.
  assert.equal(await codeOf(ann.user.listFollowers({ userId: bob.userId })), 'ok');
  // The blocked user sees no relationship at all: the block stays hidden.
  const { relationships } = await bob.user.getRelationships({ userIds: [ann.userId] });
  assert.deepEqual(relationships[0], {
    ...relationships[0],
    userId: ann.userId,
    following: false,
    followedBy: false,
    blocking: false,
    muting: false,
  });
  // Blocking back succeeds and reveals nothing: ann still reads as no relationship at all,
  // and bob's own block is in his list.
  const back = await bob.user.block({ userId: ann.userId });
  assert.equal(back.relationship?.blocking, false);
  assert.deepEqual(
    (await bob.user.listBlocks({})).blocks.map((b) => b.user?.userId),
    [ann.userId],
  );
  assert.equal(await codeOf(bob.user.block({ userId: crypto.randomUUID() })), Code.NotFound);
  const self = await rejectsWith(bob.user.block({ userId: bob.userId }), Code.InvalidArgument);
  assert.deepEqual(violatedFields(self), ['user_id']);
});

test("a block hides each user from the other in a third user's lists and in relationships", async () => {
  const [ann, bob, star] = [await g.member(), await g.member(), await g.member()];
  await ann.user.follow({ userId: star.userId });
  await bob.user.follow({ userId: star.userId });
  await star.user.follow({ userId: ann.userId });
  await star.user.follow({ userId: bob.userId });
  await ann.user.block({ userId: bob.userId });
  const followersSeenBy = async (viewer: Member) =>
    (await viewer.user.listFollowers({ userId: star.userId })).followers.map((f) => f.user?.userId);
  const followingSeenBy = async (viewer: Member) =>
    (await viewer.user.listFollowing({ userId: star.userId })).following.map((f) => f.user?.userId);
  assert.deepEqual(await followersSeenBy(ann), [ann.userId]);
  assert.deepEqual(await followersSeenBy(bob), [bob.userId]);
  assert.deepEqual(await followingSeenBy(ann), [ann.userId]);
  assert.deepEqual(await followingSeenBy(bob), [bob.userId]);
  assert.equal((await followersSeenBy(star)).length, 2);
  const { relationships } = await ann.user.getRelationships({
    userIds: [star.userId, bob.userId, crypto.randomUUID()],
  });
  assert.deepEqual(
    relationships.map((r) => [r.following, r.blocking]),
    [
      [true, false],
      [false, true],
      [false, false],
    ],
  );
});

test('a mute ends at its time: ListMutes leaves it out at once, the daemon publishes EXPIRED once', async () => {
  const [ann, bob] = [await g.member(), await g.member()];
  const muted = await ann.user.mute({
    userId: bob.userId,
    duration: { seconds: 300n },
    includeNotifications: true,
  });
  assert.equal(muted.relationship?.muting, true);
  assert.equal(muted.relationship?.mutingNotifications, true);
  const listed = await ann.user.listMutes({});
  assert.deepEqual(
    listed.mutes.map((m) => [m.user?.userId, m.includeNotifications, m.expiresAt !== undefined]),
    [[bob.userId, true, true]],
  );
  // Access tokens live 10 minutes: the shortest mute (5) ends well inside one.
  g.h.clock.advance(6 * MINUTE);
  // Past its end, the mute is gone from every read before the daemon has run.
  assert.deepEqual((await ann.user.listMutes({})).mutes, []);
  const { relationships } = await ann.user.getRelationships({ userIds: [bob.userId] });
  assert.equal(relationships[0]?.muting, false);
  await expireMutes(g.app);
  await expireMutes(g.app);
  const unmuted = (await pairEvents(ann, bob)).filter((e) => e.case === 'userUnmuted');
  assert.deepEqual(
    unmuted.map((e) => [e.value.reason, e.value.version]),
    [[UserUnmuteReason.EXPIRED, 2n]],
  );
  const expiry = (await g.envelopes()).find(
    (e) => e.payload.case === 'userUnmuted' && e.payload.value.muterId === ann.userId,
  );
  assert.equal(expiry?.actor?.kind.case, 'system', 'the system ended the mute, not the muter');
});

test('muting again replaces the terms; an indefinite mute never expires; Unmute publishes UNMUTED', async () => {
  const [ann, bob] = [await g.member(), await g.member()];
  await ann.user.mute({ userId: bob.userId, duration: { seconds: 300n } });
  const again = await ann.user.mute({ userId: bob.userId, includeNotifications: true });
  assert.equal(again.relationship?.muteExpiresAt, undefined);
  assert.equal(again.relationship?.mutingNotifications, true);
  g.h.clock.advance(6 * MINUTE);
  await expireMutes(g.app);
  assert.equal((await ann.user.listMutes({})).mutes.length, 1);
  await ann.user.unmute({ userId: bob.userId });
  assert.deepEqual((await ann.user.listMutes({})).mutes, []);
  assert.equal(await codeOf(ann.user.unmute({ userId: bob.userId })), 'ok');
  assert.deepEqual(
    (await pairEvents(ann, bob)).map((e) => [e.case, e.value.reason, e.value.version]),
    [
      ['userMuted', undefined, 1n],
      ['userMuted', undefined, 2n],
      ['userUnmuted', UserUnmuteReason.UNMUTED, 3n],
    ],
  );
  // A zero or too short duration is refused, not taken as "forever".
  const zero = await rejectsWith(
    ann.user.mute({ userId: bob.userId, duration: { seconds: 0n } }),
    Code.InvalidArgument,
  );
  assert.deepEqual(violatedFields(zero), ['duration']);
});

test('blocks and mutes page newest first with no duplicates or gaps', async () => {
  const ann = await g.member();
  const others: Member[] = [];
  for (let i = 0; i < 7; i++) {
    const other = await g.member();
    await ann.user.block({ userId: other.userId });
    await ann.user.mute({ userId: other.userId });
    g.h.clock.advance(1000);
    others.push(other);
  }
  const newestFirst = others.map((o) => o.userId).reverse();
  for (const list of ['blocks', 'mutes'] as const) {
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page =
        list === 'blocks'
          ? await ann.user.listBlocks({ pageSize: 3, pageToken })
          : await ann.user.listMutes({ pageSize: 3, pageToken });
      const entries = 'blocks' in page ? page.blocks : page.mutes;
      seen.push(...entries.map((e) => e.user!.userId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepEqual(seen, newestFirst, list);
  }
});

test('a replayed old user.followed after user.unfollowed does not resurrect the mirrored follow', async () => {
  // A consumer's mirror of follows (as post and circle will keep), applied through applyEdgeEvent.
  const db = g.app.database.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  for (const migration of Object.values(appliedEdgeVersionMigrations)) {
    await migration.up(db as Kysely<unknown>, { schema: g.app.database.schema });
  }
  await db.schema
    .createTable('mirrored_follows')
    .addColumn('follower_id', 'text', (c) => c.notNull())
    .addColumn('followee_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('mirrored_follows_pkey', ['follower_id', 'followee_id'])
    .execute();
  const [ann, bob] = [await g.member(), await g.member()];
  await ann.user.follow({ userId: bob.userId });
  await ann.user.unfollow({ userId: bob.userId });
  const [followed, unfollowed] = await pairEvents(ann, bob);
  const deliver = (event: NonNullable<typeof followed>) =>
    g.app.database.transaction((trx) => {
      const edge = event.value as { followerId: string; followeeId: string; version: bigint };
      const key = { follower_id: edge.followerId, followee_id: edge.followeeId };
      const mirror = trx as unknown as typeof db;
      return applyEdgeEvent(
        trx,
        { kind: 'follow', fromId: edge.followerId, toId: edge.followeeId, version: edge.version },
        async () => {
          if (event.case === 'userFollowed') {
            await mirror
              .insertInto('mirrored_follows')
              .values(key)
              .onConflict((oc) => oc.doNothing())
              .execute();
          } else {
            await mirror
              .deleteFrom('mirrored_follows')
              .where('follower_id', '=', key.follower_id)
              .where('followee_id', '=', key.followee_id)
              .execute();
          }
        },
      );
    });
  const mirrored = async () =>
    (
      await db
        .selectFrom('mirrored_follows')
        .selectAll()
        .where('follower_id', '=', ann.userId)
        .execute()
    ).length;
  assert.equal(await deliver(followed!), true);
  assert.equal(await mirrored(), 1);
  assert.equal(await deliver(unfollowed!), true);
  assert.equal(await mirrored(), 0);
  assert.equal(await deliver(followed!), false, 'the replay is dropped');
  assert.equal(await deliver(unfollowed!), false, 'and so is a redelivery');
  assert.equal(await mirrored(), 0);
  // A new follow of the same pair continues the count and applies.
  await ann.user.follow({ userId: bob.userId });
  const refollowed = (await pairEvents(ann, bob)).at(-1)!;
  assert.equal(refollowed.value.version, 3n);
  assert.equal(await deliver(refollowed), true);
  assert.equal(await mirrored(), 1);
});

test('a retried Mute or Block with the same idempotency key changes and publishes once', async () => {
  const [ann, bob] = [await g.member(), await g.member()];
  const mute = { userId: bob.userId, includeNotifications: true, idempotencyKey: 'mute-retry-1' };
  const first = await ann.user.mute(mute);
  const retry = await ann.user.mute(mute);
  assert.deepEqual(retry, first);
  await ann.user.block({ userId: bob.userId, idempotencyKey: 'block-retry-1' });
  await ann.user.block({ userId: bob.userId, idempotencyKey: 'block-retry-1' });
  assert.deepEqual(
    (await pairEvents(ann, bob)).map((e) => [e.case, e.value.version]),
    [
      ['userMuted', 1n],
      ['userBlocked', 1n],
    ],
  );
  // The same key on a different request is refused, not replayed.
  assert.equal(
    await codeOf(ann.user.mute({ ...mute, includeNotifications: false })),
    Code.FailedPrecondition,
  );
});
