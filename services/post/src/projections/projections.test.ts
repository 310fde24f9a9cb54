import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { EnvelopeSchema } from '@kith/gen/kith/events/v1/events_pb.js';
import { CircleRole, HideReason } from '@kith/gen/kith/circle/v1/types_pb.js';
import { MentionPolicy } from '@kith/gen/kith/user/v1/types_pb.js';
import { eventType } from '@kith/runtime';
import type { EventPayload } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
// By path: the post package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { PostHarness } from '../testing/post-harness.js';
import { IGNORED_CIRCLE_EVENTS } from './index.js';

// Post's projections of profiles, settings, the social graph and circles follow the user and
// circle events through the bus, each applied only when its aggregate's version is newer than
// the one held, so a redelivered or replayed old event never brings back what a newer one
// ended. Each consumer handles its messages one at a time in stream order: a marker published
// after a replay on the same consumer shows, once applied, that the replay was handled too.

let p: PostHarness<AuthHarness>;
beforeAll(async () => {
  p = await startPostHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    anonymous: (h) => h.withHeaders({}).transport,
  });
});
afterAll(() => p?.stop());

const db = () => p.app.database.db;
const publish = (payload: EventPayload) =>
  p.publishAs(payload.case?.startsWith('circle') ? 'circle' : 'user', payload);
const eventually = (check: () => Promise<boolean>, what: string) =>
  waitFor(check, { timeoutMs: 10_000, intervalMs: 25, what });

/** The profile and settings columns of the user's row (moderation and reach have tests of their own). */
const userRow = (userId: string) =>
  db()
    .selectFrom('users')
    .select([
      'user_id',
      'username',
      'display_name',
      'avatar_url',
      'locked',
      'indexable',
      'mention_policy',
      'profile_version',
      'settings_version',
    ])
    .where('user_id', '=', userId)
    .executeTakeFirst();
const followRow = (followerId: string, followeeId: string) =>
  db()
    .selectFrom('follows')
    .selectAll()
    .where('follower_id', '=', followerId)
    .where('followee_id', '=', followeeId)
    .executeTakeFirst();
const blockRow = (blockerId: string, blockedId: string) =>
  db()
    .selectFrom('blocks')
    .selectAll()
    .where('blocker_id', '=', blockerId)
    .where('blocked_id', '=', blockedId)
    .executeTakeFirst();
const muteRow = (muterId: string, mutedId: string) =>
  db()
    .selectFrom('mutes')
    .selectAll()
    .where('muter_id', '=', muterId)
    .where('muted_id', '=', mutedId)
    .executeTakeFirst();
const circleRow = (circleId: string) =>
  db().selectFrom('circles').selectAll().where('circle_id', '=', circleId).executeTakeFirst();
const memberRow = (circleId: string, userId: string) =>
  db()
    .selectFrom('circle_members')
    .selectAll()
    .where('circle_id', '=', circleId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
const hideRow = (circleId: string, postId: string) =>
  db()
    .selectFrom('circle_hides')
    .selectAll()
    .where('circle_id', '=', circleId)
    .where('post_id', '=', postId)
    .executeTakeFirst();

const profile = (userId: string, username: string, version: bigint): EventPayload => ({
  case: 'userProfileUpdated',
  value: {
    userId,
    username,
    displayName: `${username} shown`,
    avatarUrl: `https://cdn.example/${username}.png`,
    locked: version % 2n === 0n,
    version,
  },
});
const settings = (
  userId: string,
  version: bigint,
  s: { indexable: boolean; mentionPolicy: MentionPolicy },
): EventPayload => ({ case: 'userSettingsUpdated', value: { userId, ...s, version } });
const joined = (circleId: string, userId: string, role: CircleRole, version: bigint) =>
  ({ case: 'circleMemberJoined', value: { circleId, userId, role, version } }) as const;

/**
 * Publishes `payload` after what came before on the same consumer and waits until it is
 * applied: whatever was published earlier on that consumer has been handled by then.
 */
async function marker(kind: 'profile' | 'settings' | 'followed' | 'muted' | 'circle') {
  const id = randomUUID();
  switch (kind) {
    case 'profile':
      await publish(profile(id, 'marker', 1n));
      return eventually(async () => (await userRow(id)) !== undefined, 'the profile marker');
    case 'settings':
      await publish(settings(id, 1n, { indexable: true, mentionPolicy: MentionPolicy.EVERYONE }));
      return eventually(async () => (await userRow(id)) !== undefined, 'the settings marker');
    case 'followed':
      await publish({
        case: 'userFollowed',
        value: { followerId: id, followeeId: id, version: 1n },
      });
      return eventually(async () => (await followRow(id, id)) !== undefined, 'the follow marker');
    case 'muted':
      await publish({ case: 'userMuted', value: { muterId: id, mutedId: id, version: 1n } });
      return eventually(async () => (await muteRow(id, id)) !== undefined, 'the mute marker');
    case 'circle':
      await publish(joined(id, id, CircleRole.MEMBER, 1n));
      return eventually(async () => (await memberRow(id, id)) !== undefined, 'the circle marker');
  }
}

test('a profile is applied by its version: an older profile_updated never overwrites a newer one', async () => {
  const userId = randomUUID();
  await publish(profile(userId, 'ana_v2', 2n));
  await eventually(async () => (await userRow(userId))?.username === 'ana_v2', 'the profile');
  assert.deepEqual(
    { ...(await userRow(userId)) },
    {
      user_id: userId,
      username: 'ana_v2',
      display_name: 'ana_v2 shown',
      avatar_url: 'https://cdn.example/ana_v2.png',
      locked: true,
      indexable: false,
      mention_policy: 0,
      profile_version: '2',
      settings_version: '0',
    },
  );

  await publish(profile(userId, 'ana_v1', 1n));
  await marker('profile');
  assert.equal((await userRow(userId))?.username, 'ana_v2', 'the replayed older profile');

  await publish(profile(userId, 'ana_v3', 3n));
  await eventually(async () => (await userRow(userId))?.username === 'ana_v3', 'a newer profile');
  const row = await userRow(userId);
  assert.equal(row?.locked, false);
  assert.equal(row?.profile_version, '3');
});

test('settings arriving before the profile make a row with an empty profile, which the profile then fills; each keeps its own version', async () => {
  const userId = randomUUID();
  await publish(settings(userId, 2n, { indexable: true, mentionPolicy: MentionPolicy.NOBODY }));
  await eventually(async () => (await userRow(userId)) !== undefined, 'the settings row');
  assert.deepEqual(
    { ...(await userRow(userId)) },
    {
      user_id: userId,
      username: '',
      display_name: '',
      avatar_url: '',
      locked: false,
      indexable: true,
      mention_policy: MentionPolicy.NOBODY,
      profile_version: '0',
      settings_version: '2',
    },
  );

  // Version 1 of the profile is newer than the empty one the settings left.
  await publish(profile(userId, 'ben', 1n));
  await eventually(async () => (await userRow(userId))?.username === 'ben', 'the profile');
  const row = await userRow(userId);
  assert.equal(row?.indexable, true, 'the profile leaves the settings as they were');
  assert.equal(row?.mention_policy, MentionPolicy.NOBODY);
  assert.equal(row?.settings_version, '2');

  // An older settings snapshot (sign-up defaults) is dropped; a newer one applies.
  await publish(settings(userId, 1n, { indexable: false, mentionPolicy: MentionPolicy.EVERYONE }));
  await marker('settings');
  assert.equal((await userRow(userId))?.mention_policy, MentionPolicy.NOBODY);
  await publish(settings(userId, 3n, { indexable: false, mentionPolicy: MentionPolicy.FOLLOWING }));
  await eventually(
    async () => (await userRow(userId))?.mention_policy === MentionPolicy.FOLLOWING,
    'newer settings',
  );
  const after = await userRow(userId);
  assert.equal(after?.indexable, false);
  assert.equal(after?.username, 'ben', 'settings leave the profile as it was');
});

test('a follow exists only while the edge is active, and a replayed old user.followed after the unfollow does not resurrect it', async () => {
  const [ana, ben] = [randomUUID(), randomUUID()];
  const edge = { followerId: ana, followeeId: ben };
  await publish({ case: 'userFollowed', value: { ...edge, version: 1n } });
  await eventually(async () => (await followRow(ana, ben)) !== undefined, 'the follow');
  assert.equal(await followRow(ben, ana), undefined, 'a follow is one way');

  await publish({ case: 'userUnfollowed', value: { ...edge, version: 2n } });
  await eventually(async () => (await followRow(ana, ben)) === undefined, 'the unfollow');

  await publish({ case: 'userFollowed', value: { ...edge, version: 1n } });
  await marker('followed');
  assert.equal(await followRow(ana, ben), undefined, 'the replayed follow stays dropped');

  // The edge's versions continue across the unfollow: a new follow is newer.
  await publish({ case: 'userFollowed', value: { ...edge, version: 3n } });
  await eventually(async () => (await followRow(ana, ben)) !== undefined, 'the new follow');
});

test('an unfollow that arrives before the follow it ends leaves no follow behind', async () => {
  const [ana, ben] = [randomUUID(), randomUUID()];
  const edge = { followerId: ana, followeeId: ben };
  // Followed and unfollowed are two consumers with no order between them.
  await publish({ case: 'userUnfollowed', value: { ...edge, version: 2n } });
  await eventually(
    async () =>
      (await db()
        .selectFrom('applied_edge_versions')
        .select('version')
        .where('kind', '=', 'follow')
        .where('from_id', '=', ana)
        .where('to_id', '=', ben)
        .executeTakeFirst()) !== undefined,
    'the unfollow to be applied',
  );
  await publish({ case: 'userFollowed', value: { ...edge, version: 1n } });
  await marker('followed');
  assert.equal(await followRow(ana, ben), undefined);
});

test('blocks follow user.blocked / user.unblocked by version; a replayed old block does not come back', async () => {
  const [ana, ben] = [randomUUID(), randomUUID()];
  const edge = { blockerId: ana, blockedId: ben };
  await publish({ case: 'userBlocked', value: { ...edge, version: 1n } });
  await eventually(async () => (await blockRow(ana, ben)) !== undefined, 'the block');

  await publish({ case: 'userUnblocked', value: { ...edge, version: 2n } });
  await eventually(async () => (await blockRow(ana, ben)) === undefined, 'the unblock');

  await publish({ case: 'userBlocked', value: { ...edge, version: 1n } });
  // A marker on the same consumer: a fresh block.
  const [x, y] = [randomUUID(), randomUUID()];
  await publish({ case: 'userBlocked', value: { blockerId: x, blockedId: y, version: 1n } });
  await eventually(async () => (await blockRow(x, y)) !== undefined, 'the block marker');
  assert.equal(await blockRow(ana, ben), undefined, 'the replayed block stays dropped');
});

test('a mute carries its expiry (none: until unmuted), a changed mute replaces it, and an unmute ends it for good', async () => {
  const [ana, ben] = [randomUUID(), randomUUID()];
  const edge = { muterId: ana, mutedId: ben };
  const until = new Date(Date.now() + 7 * 24 * 60 * 60 * 1000);
  until.setMilliseconds(0);
  await publish({
    case: 'userMuted',
    value: { ...edge, expiresAt: timestampFromDate(until), version: 1n },
  });
  await eventually(async () => (await muteRow(ana, ben)) !== undefined, 'the mute');
  assert.equal((await muteRow(ana, ben))?.expires_at?.getTime(), until.getTime());

  await publish({ case: 'userMuted', value: { ...edge, version: 2n } });
  await eventually(
    async () => (await muteRow(ana, ben))?.expires_at === null,
    'the mute without an expiry',
  );

  // An older mute arriving late does not bring its expiry back.
  await publish({
    case: 'userMuted',
    value: { ...edge, expiresAt: timestampFromDate(until), version: 1n },
  });
  await marker('muted');
  assert.equal((await muteRow(ana, ben))?.expires_at, null);

  await publish({ case: 'userUnmuted', value: { ...edge, reason: 1, version: 3n } });
  await eventually(async () => (await muteRow(ana, ben)) === undefined, 'the unmute');
  await publish({ case: 'userMuted', value: { ...edge, version: 2n } });
  await marker('muted');
  assert.equal(await muteRow(ana, ben), undefined, 'the replayed mute stays dropped');
});

test('a member who left has role 0 and a replayed join does not bring them back; a rejoin (newer version) does', async () => {
  const [circleId, ana] = [randomUUID(), randomUUID()];
  await publish(joined(circleId, ana, CircleRole.MEMBER, 1n));
  await eventually(async () => (await memberRow(circleId, ana)) !== undefined, 'the join');
  assert.deepEqual(
    { ...(await circleRow(circleId)) },
    { circle_id: circleId, deleted: false, version: '0' },
    'a join for a circle post has not heard of gives it a row',
  );
  assert.equal((await memberRow(circleId, ana))?.role, CircleRole.MEMBER);

  await publish({
    case: 'circleRoleChanged',
    value: {
      circleId,
      userId: ana,
      oldRole: CircleRole.MEMBER,
      newRole: CircleRole.ADMIN,
      version: 2n,
    },
  });
  await eventually(
    async () => (await memberRow(circleId, ana))?.role === CircleRole.ADMIN,
    'the role change',
  );

  await publish({ case: 'circleMemberLeft', value: { circleId, userId: ana, version: 3n } });
  await eventually(async () => (await memberRow(circleId, ana))?.role === 0, 'the leave');

  await publish(joined(circleId, ana, CircleRole.MEMBER, 1n));
  await marker('circle');
  assert.deepEqual(
    { ...(await memberRow(circleId, ana)) },
    { circle_id: circleId, user_id: ana, role: 0, version: '3' },
    'the replayed join stays dropped',
  );

  await publish(joined(circleId, ana, CircleRole.MEMBER, 4n));
  await eventually(
    async () => (await memberRow(circleId, ana))?.role === CircleRole.MEMBER,
    'the rejoin',
  );

  await publish({
    case: 'circleMemberRemoved',
    value: { circleId, userId: ana, removedByUserId: randomUUID(), banned: true, version: 5n },
  });
  await eventually(async () => (await memberRow(circleId, ana))?.role === 0, 'the removal');
  assert.equal((await memberRow(circleId, ana))?.version, '5');
});

test('a leave that arrives before the join it ends is kept, so the join stays dropped', async () => {
  const [circleId, ana] = [randomUUID(), randomUUID()];
  await publish({ case: 'circleMemberLeft', value: { circleId, userId: ana, version: 2n } });
  await eventually(async () => (await memberRow(circleId, ana)) !== undefined, 'the leave');
  await publish(joined(circleId, ana, CircleRole.MEMBER, 1n));
  await marker('circle');
  assert.equal((await memberRow(circleId, ana))?.role, 0);
});

test('circle.deleted then an older circle.restored is ignored; a newer restore applies', async () => {
  const [circleId, ana] = [randomUUID(), randomUUID()];
  await publish(joined(circleId, ana, CircleRole.OWNER, 1n));
  await eventually(async () => (await circleRow(circleId)) !== undefined, 'the circle');

  await publish({
    case: 'circleDeleted',
    value: { circleId, deletedByUserId: ana, version: 3n, reason: 1 },
  });
  await eventually(async () => (await circleRow(circleId))?.deleted === true, 'the deletion');

  await publish({
    case: 'circleRestored',
    value: { circleId, restoredByUserId: ana, version: 2n },
  });
  await marker('circle');
  assert.deepEqual(
    { ...(await circleRow(circleId)) },
    { circle_id: circleId, deleted: true, version: '3' },
    'the older restore stays dropped',
  );
  assert.equal(
    (await memberRow(circleId, ana))?.role,
    CircleRole.OWNER,
    'memberships outlast a soft deletion',
  );

  await publish({
    case: 'circleRestored',
    value: { circleId, restoredByUserId: ana, version: 4n },
  });
  await eventually(async () => (await circleRow(circleId))?.deleted === false, 'the restore');
  assert.equal((await circleRow(circleId))?.version, '4');
});

test('a deletion of a circle post has not heard of is recorded, and a join does not undo it', async () => {
  const [circleId, ana] = [randomUUID(), randomUUID()];
  await publish({ case: 'circleDeleted', value: { circleId, version: 5n, reason: 1 } });
  await eventually(async () => (await circleRow(circleId))?.deleted === true, 'the deletion');
  await publish(joined(circleId, ana, CircleRole.MEMBER, 1n));
  await eventually(async () => (await memberRow(circleId, ana)) !== undefined, 'the join');
  assert.deepEqual(
    { ...(await circleRow(circleId)) },
    { circle_id: circleId, deleted: true, version: '5' },
  );
});

test("circle.purged removes the circle's memberships and hides, keeps it as a deleted tombstone, and touches no other circle", async () => {
  const [gone, kept, ana, ben, postId] = [
    randomUUID(),
    randomUUID(),
    randomUUID(),
    randomUUID(),
    randomUUID(),
  ];
  for (const circleId of [gone, kept]) {
    await publish(joined(circleId, ana, CircleRole.OWNER, 1n));
    await publish(joined(circleId, ben, CircleRole.MEMBER, 1n));
    await publish({
      case: 'circlePostHidden',
      value: {
        circleId,
        postId,
        authorId: ben,
        hiddenByUserId: ana,
        reason: HideReason.SPAM,
        version: 1n,
      },
    });
  }
  await eventually(async () => (await hideRow(kept, postId)) !== undefined, 'both circles');
  assert.ok(await hideRow(gone, postId));

  await publish({ case: 'circleDeleted', value: { circleId: gone, version: 2n, reason: 1 } });
  await publish({ case: 'circlePurged', value: { circleId: gone, version: 3n } });
  await eventually(async () => (await circleRow(gone))?.version === '3', 'the purge');
  assert.deepEqual(
    { ...(await circleRow(gone)) },
    { circle_id: gone, deleted: true, version: '3' },
  );
  assert.equal(await memberRow(gone, ana), undefined);
  assert.equal(await memberRow(gone, ben), undefined);
  assert.equal(await hideRow(gone, postId), undefined);
  // A replayed old join finds the tombstone: the circle stays deleted, so it opens nothing.
  await publish(joined(gone, ben, CircleRole.MEMBER, 1n));
  await publish(joined(kept, ana, CircleRole.OWNER, 1n));
  await eventually(async () => (await memberRow(gone, ben)) !== undefined, 'the replay');
  assert.equal((await circleRow(gone))?.deleted, true);

  assert.deepEqual(
    { ...(await circleRow(kept)) },
    { circle_id: kept, deleted: false, version: '0' },
  );
  assert.equal((await memberRow(kept, ben))?.role, CircleRole.MEMBER);
  assert.equal((await hideRow(kept, postId))?.active, true);
});

test('a post hidden in a circle carries its reason and note; the unhide ends it and a replayed older hide does not bring it back', async () => {
  const [circleId, postId, ana, ben] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const hide = { circleId, postId, authorId: ben, hiddenByUserId: ana };
  const before = Date.now();
  await publish({
    case: 'circlePostHidden',
    value: { ...hide, reason: HideReason.OFF_TOPIC, note: 'Rides only, please', version: 1n },
  });
  await eventually(async () => (await hideRow(circleId, postId)) !== undefined, 'the hide');
  const hidden = await hideRow(circleId, postId);
  assert.equal(hidden?.active, true);
  assert.equal(hidden?.reason, HideReason.OFF_TOPIC);
  assert.equal(hidden?.note, 'Rides only, please');
  assert.equal(hidden?.version, '1');
  const at = hidden!.hidden_at.getTime();
  assert.ok(at >= before - 1_000 && at <= Date.now(), 'hidden when the event occurred');

  const unhide = { circleId, postId, authorId: ben, unhiddenByUserId: ana };
  await publish({ case: 'circlePostUnhidden', value: { ...unhide, version: 2n } });
  await eventually(async () => (await hideRow(circleId, postId))?.active === false, 'the unhide');

  await publish({
    case: 'circlePostHidden',
    value: { ...hide, reason: HideReason.OFF_TOPIC, note: 'Rides only, please', version: 1n },
  });
  await marker('circle');
  assert.equal((await hideRow(circleId, postId))?.active, false, 'the replayed hide stays dropped');
  assert.equal((await hideRow(circleId, postId))?.version, '2');

  await publish({
    case: 'circlePostHidden',
    value: { ...hide, reason: HideReason.ABUSE, note: 'Again', version: 3n },
  });
  await eventually(async () => (await hideRow(circleId, postId))?.active === true, 'the rehide');
  const rehidden = await hideRow(circleId, postId);
  assert.equal(rehidden?.reason, HideReason.ABUSE);
  assert.equal(rehidden?.note, 'Again');

  // An unhide arriving before any hide is recorded, so the older hide stays dropped.
  const other = randomUUID();
  await publish({
    case: 'circlePostUnhidden',
    value: { ...unhide, postId: other, version: 2n },
  });
  await eventually(async () => (await hideRow(circleId, other)) !== undefined, 'the early unhide');
  await publish({ case: 'circlePostHidden', value: { ...hide, postId: other, version: 1n } });
  await marker('circle');
  assert.equal((await hideRow(circleId, other))?.active, false);
});

test('the circle events post skips are real event types, none of them one it projects', () => {
  const circleTypes = EnvelopeSchema.fields
    .filter((f) => f.oneof?.name === 'payload' && f.localName.startsWith('circle'))
    .map((f) => eventType(f.localName as Parameters<typeof eventType>[0]));
  for (const type of IGNORED_CIRCLE_EVENTS) assert.ok(circleTypes.includes(type), type);
  for (const projected of [
    'circle.member_joined',
    'circle.member_left',
    'circle.member_removed',
    'circle.role_changed',
    'circle.deleted',
    'circle.restored',
    'circle.purged',
    'circle.post_hidden',
    'circle.post_unhidden',
  ]) {
    assert.ok(circleTypes.includes(projected), projected);
    assert.ok(!(IGNORED_CIRCLE_EVENTS as readonly string[]).includes(projected), projected);
  }
  assert.equal(circleTypes.length, IGNORED_CIRCLE_EVENTS.length + 9, 'every circle type is sorted');
});
