import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { ActionType } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { codeOf, seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import { markDeletionScheduled } from './deletion-mark.js';
import {
  eventually,
  publishAs,
  withProfile,
  userContext,
  userDatabase,
  userDb,
  users,
} from './testing/support.js';

import { userModule } from '../module.js';

let h: AuthHarness;
/** A signed-in user with a profile and settings. */
const newUser = async (o: { username?: string } = {}) =>
  withProfile(h, await seedUser(h, o.username ? { username: o.username } : {}));
beforeAll(async () => {
  h = await startAuthHarness({ modules: [userModule] });
});
afterAll(async () => {
  await h?.stop();
});

const byId = (userId: string) => ({ lookup: { case: 'userId' as const, value: userId } });
const profileOf = (viewer: TestUser | undefined, userId: string) =>
  users(h, viewer?.accessToken).getProfile(byId(userId));
const seen = async (viewer: TestUser | undefined, userId: string) =>
  (await codeOf(profileOf(viewer, userId))) === 'ok';

async function block(blocker: TestUser, blocked: TestUser) {
  await userDb(h)
    .insertInto('blocks')
    .values({ blocker_id: blocker.userId, blocked_id: blocked.userId })
    .execute();
}

test('a profile is public: by id, or by username in any case, also anonymously', async () => {
  const ann = await newUser();
  const { profile } = await users(h).getProfile({
    lookup: { case: 'username', value: ann.username.toUpperCase() },
  });
  assert.equal(profile!.userId, ann.userId);
  assert.equal(profile!.username, ann.username);
  assert.equal(profile!.relationship, undefined);
  assert.equal(profile!.version, 1n);
  assert.equal(profile!.postsCount, 0);
  assert.equal(
    await codeOf(users(h).getProfile({ lookup: { case: 'username', value: 'nobody_here_1' } })),
    Code.NotFound,
  );
  assert.equal(
    await codeOf(users(h).getProfile(byId('0190f2f6-6f3c-7cc0-8b5c-7a00000000ff'))),
    Code.NotFound,
  );
});

test('a user who blocks the caller answers NotFound to the caller only', async () => {
  const ann = await newUser();
  const bob = await newUser();
  const carol = await newUser();
  await block(ann, bob);
  assert.equal(await codeOf(profileOf(bob, ann.userId)), Code.NotFound);
  assert.equal(
    await codeOf(
      users(h, bob.accessToken).getProfile({ lookup: { case: 'username', value: ann.username } }),
    ),
    Code.NotFound,
  );
  assert.equal(await seen(carol, ann.userId), true);
  assert.equal(await seen(undefined, ann.userId), true);
  // The blocker still sees whom they block, with the block in the relationship.
  const { profile } = await profileOf(ann, bob.userId);
  assert.equal(profile!.relationship!.blocking, true);
  const batch = await users(h, bob.accessToken).getProfiles({
    userIds: [carol.userId, ann.userId],
  });
  assert.deepEqual(
    batch.profiles.map((p) => p.userId),
    [carol.userId],
  );
});

test('an account disabled by staff is hidden from everyone until enabled again', async () => {
  const ann = await newUser();
  const bob = await newUser();
  assert.equal(await seen(bob, ann.userId), true); // cached now
  // Stands in for the auth service's AuthAdminService.DisableAccount / EnableAccount events.
  await publishAs(h, 'auth', {
    case: 'authAccountDisabled',
    value: { userId: ann.userId, reason: 'spam wave', disabledByUserId: bob.userId },
  });
  await eventually(async () => !(await seen(bob, ann.userId)), 'the profile to be hidden');
  assert.equal(await codeOf(profileOf(undefined, ann.userId)), Code.NotFound);
  await publishAs(h, 'auth', {
    case: 'authAccountEnabled',
    value: { userId: ann.userId, enabledByUserId: bob.userId },
  });
  await eventually(() => seen(bob, ann.userId), 'the profile to be shown again');
});

test('an account suspended by moderation is hidden until the action is reversed', async () => {
  const ann = await newUser();
  const bob = await newUser();
  const actionId = '0190f2f6-6f3c-7cc0-8b5c-7a00000000b1';
  const suspended = {
    actionId,
    userId: ann.userId,
    actionType: ActionType.SUSPEND,
    version: 1n,
    enforcement: { suspended: true },
  };
  // Stands in for the moderation service's events.
  await publishAs(h, 'moderation', { case: 'moderationAccountActioned', value: suspended });
  await eventually(async () => !(await seen(bob, ann.userId)), 'the profile to be hidden');
  // Nor does its owner: auth ends the account's sessions with the suspension, and a revoked
  // token reads this public method as nobody.
  await eventually(async () => !(await seen(ann, ann.userId)), "the owner's sessions to end");
  await publishAs(h, 'moderation', {
    case: 'moderationActionReversed',
    value: {
      actionId,
      subject: { kind: { case: 'userId', value: ann.userId } },
      actionType: ActionType.SUSPEND,
      userId: ann.userId,
      version: 2n,
      enforcement: {},
    },
  });
  await eventually(() => seen(bob, ann.userId), 'the profile to be shown again');
  // A replayed (older) suspension does not hide it again.
  await publishAs(h, 'moderation', { case: 'moderationAccountActioned', value: suspended });
  const row = async () =>
    userDb(h)
      .selectFrom('profiles')
      .select(['moderation_version', 'moderation_suspended'])
      .where('user_id', '=', ann.userId)
      .executeTakeFirstOrThrow();
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await row(), { moderation_version: '2', moderation_suspended: false });
  assert.equal(await seen(bob, ann.userId), true);
});

test('a ban hides the profile; a suspension that has run out does not', async () => {
  const ann = await newUser();
  const dan = await newUser();
  const bob = await newUser();
  await publishAs(h, 'moderation', {
    case: 'moderationAccountActioned',
    value: {
      actionId: '0190f2f6-6f3c-7cc0-8b5c-7a00000000b2',
      userId: ann.userId,
      actionType: ActionType.BAN,
      version: 1n,
      enforcement: { banned: true },
    },
  });
  await publishAs(h, 'moderation', {
    case: 'moderationAccountActioned',
    value: {
      actionId: '0190f2f6-6f3c-7cc0-8b5c-7a00000000b3',
      userId: dan.userId,
      actionType: ActionType.SUSPEND,
      version: 1n,
      enforcement: {
        suspended: true,
        suspendedUntil: timestampFromMs(h.clock.now().getTime() - 60_000),
      },
    },
  });
  await eventually(async () => !(await seen(bob, ann.userId)), 'the banned profile to be hidden');
  await eventually(
    async () =>
      (
        await userDb(h)
          .selectFrom('profiles')
          .select('moderation_version')
          .where('user_id', '=', dan.userId)
          .executeTakeFirstOrThrow()
      ).moderation_version === '1',
    'the expired suspension to be applied',
  );
  assert.equal(await seen(bob, dan.userId), true);
});

test('a pending deletion hides the profile from everyone but its owner', async () => {
  const ann = await newUser();
  const bob = await newUser();
  assert.equal(await seen(bob, ann.userId), true);
  const scheduledFor = new Date(h.clock.now().getTime() + 30 * 86_400_000);
  // What the lifecycle area does in RequestAccountDeletion: the mark, then the cache drop.
  await userDatabase(h).transaction((trx) =>
    markDeletionScheduled(userContext(h), trx, ann.userId, scheduledFor),
  );
  assert.equal(await codeOf(profileOf(bob, ann.userId)), Code.NotFound);
  assert.equal(await codeOf(profileOf(undefined, ann.userId)), Code.NotFound);
  assert.equal(await seen(ann, ann.userId), true);
  const batch = await users(h, ann.accessToken).getProfiles({ userIds: [ann.userId] });
  assert.equal(batch.profiles.length, 1);
  const { pendingDeletion } = await users(h, ann.accessToken).getSettings({});
  assert.equal(
    pendingDeletion!.scheduledFor!.seconds,
    BigInt(Math.floor(scheduledFor.getTime() / 1000)),
  );
  assert.ok(pendingDeletion!.requestedAt);
});

test('counts show to everyone unless the lists are hidden; then only to the owner', async () => {
  const ann = await newUser();
  const bob = await newUser();
  await userDb(h)
    .insertInto('follow_counts')
    .values({ user_id: ann.userId, followers_count: 7, following_count: 3 })
    .execute();
  await userDb(h)
    .insertInto('follows')
    .values({ follower_id: bob.userId, followee_id: ann.userId })
    .execute();
  const shown = (await profileOf(bob, ann.userId)).profile!;
  assert.deepEqual([shown.followersCount, shown.followingCount], [7, 3]);
  assert.equal(shown.relationship!.following, true);
  assert.equal(shown.relationship!.userId, ann.userId);
  await users(h, ann.accessToken).updateProfile({
    profile: { hideFollowLists: true },
    updateMask: { paths: ['hide_follow_lists'] },
  });
  for (const viewer of [bob, undefined]) {
    const hidden = (await profileOf(viewer, ann.userId)).profile!;
    assert.deepEqual([hidden.followersCount, hidden.followingCount], [0, 0]);
  }
  const own = (await profileOf(ann, ann.userId)).profile!;
  assert.deepEqual([own.followersCount, own.followingCount], [7, 3]);
  assert.equal(own.relationship, undefined);
});

test('GetProfiles keeps the order asked and leaves out unknown and hidden users', async () => {
  const [a, b, c, viewer] = [await newUser(), await newUser(), await newUser(), await newUser()];
  await block(b, viewer);
  const unknown = '0190f2f6-6f3c-7cc0-8b5c-7a00000000fe';
  const { profiles } = await users(h, viewer.accessToken).getProfiles({
    userIds: [c.userId, unknown, b.userId, a.userId],
  });
  assert.deepEqual(
    profiles.map((p) => p.userId),
    [c.userId, a.userId],
  );
  const anonymous = await users(h).getProfiles({ userIds: [b.userId, c.userId] });
  assert.deepEqual(
    anonymous.profiles.map((p) => p.userId),
    [b.userId, c.userId],
  );
  assert.equal(
    await codeOf(
      users(h).getProfiles({
        userIds: Array.from(
          { length: 101 },
          (_, i) => `0190f2f6-6f3c-7cc0-8b5c-7a${String(i).padStart(10, '0')}`,
        ),
      }),
    ),
    Code.InvalidArgument,
  );
});
