import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { withTables } from '@kith/db';
import { codeOf } from '@kith/testkit';
import type { Updateable } from 'kysely';
import { setDeletionScheduled } from '../profiles/profile-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';
import type { ProfileTable } from '../profiles/profile-table.js';
// By path: the user package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { relationshipsOf } from './relationship-store.js';
import { sharedGraph } from './graph-db.js';
import { startGraphHarness } from './testing/graph-harness.js';
import type { GraphHarness, Member } from './testing/graph-harness.js';

let g: GraphHarness<AuthHarness>;
beforeAll(async () => {
  g = await startGraphHarness({ start: startAuthHarness, seed: (h) => seedUser(h) });
});
afterAll(() => g?.stop());

const MINUTE = 60_000;

const profiles = () => withTables<ProfilesDb>(g.app.database.db);

/** Moderation's enforcement on a profile, as its consumer stores it. */
async function moderate(user: Member, set: Updateable<ProfileTable>) {
  await profiles().updateTable('profiles').set(set).where('user_id', '=', user.userId).execute();
}

/** A relationship's flags in proto order, and when its mute ends (seconds). */
function flags(r: {
  following: boolean;
  followedBy: boolean;
  followRequested: boolean;
  followRequestReceived: boolean;
  blocking: boolean;
  muting: boolean;
  mutingNotifications: boolean;
  muteExpiresAt?: { seconds: bigint } | undefined;
}) {
  return [
    r.following,
    r.followedBy,
    r.followRequested,
    r.followRequestReceived,
    r.blocking,
    r.muting,
    r.mutingNotifications,
    r.muteExpiresAt?.seconds,
  ];
}
const NONE = [false, false, false, false, false, false, false, undefined];

test('GetRelationships answers every asked user in the order asked, each edge seen from the caller', async () => {
  const ann = await g.member();
  const [followed, follower, requested, requester, blocked, blocker, muted, mutedBriefly] = [
    await g.member(),
    await g.member(),
    await g.member({ locked: true }),
    await g.member(),
    await g.member(),
    await g.member(),
    await g.member(),
    await g.member(),
  ];
  const [leaving, suspended, suspensionOver] = [
    await g.member(),
    await g.member(),
    await g.member(),
  ];
  await ann.user.follow({ userId: followed.userId });
  await follower.user.follow({ userId: ann.userId });
  await ann.user.follow({ userId: requested.userId });
  await ann.user.block({ userId: blocked.userId });
  await blocker.user.block({ userId: ann.userId });
  // The blocker's other edges with ann are hidden from her with the block.
  await blocker.user.mute({ userId: ann.userId });
  await ann.user.mute({ userId: mutedBriefly.userId, duration: { seconds: 300n } });
  for (const user of [leaving, suspended, suspensionOver, muted]) {
    await ann.user.follow({ userId: user.userId });
  }
  const mute = await ann.user.mute({
    userId: muted.userId,
    duration: { seconds: 3600n },
    includeNotifications: true,
  });
  await ann.user.updateProfile({ profile: { locked: true }, updateMask: { paths: ['locked'] } });
  await requester.user.follow({ userId: ann.userId });
  g.h.clock.advance(6 * MINUTE);
  const now = g.h.clock.now().getTime();
  await setDeletionScheduled(profiles(), leaving.userId, new Date(now + 30 * 24 * 60 * MINUTE));
  await moderate(suspended, {
    moderation_suspended: true,
    moderation_suspended_until: new Date(now + 60 * MINUTE),
  });
  await moderate(suspensionOver, {
    moderation_suspended: true,
    moderation_suspended_until: new Date(now - MINUTE),
  });
  const unknown = crypto.randomUUID();

  const asked = [
    mutedBriefly,
    suspensionOver,
    blocker,
    requester,
    followed,
    { userId: unknown },
    muted,
    ann,
    leaving,
    suspended,
    blocked,
    requested,
    follower,
  ].map((u) => u.userId);
  const { relationships } = await ann.user.getRelationships({ userIds: asked });
  assert.deepEqual(
    relationships.map((r) => r.userId),
    asked,
  );
  assert.deepEqual(relationships.map(flags), [
    // A mute past its end no longer counts, before the daemon ends it.
    NONE,
    // A suspension whose end has passed hides no one.
    [true, false, false, false, false, false, false, undefined],
    // A user who blocks the caller reads as no relationship at all.
    NONE,
    [false, false, false, true, false, false, false, undefined],
    [true, false, false, false, false, false, false, undefined],
    NONE,
    [true, false, false, false, false, true, true, mute.relationship?.muteExpiresAt?.seconds],
    // The caller's own id.
    NONE,
    // Hidden users (deletion pending, suspended): only the id, though the caller follows them.
    NONE,
    NONE,
    [false, false, false, false, true, false, false, undefined],
    [false, false, true, false, false, false, false, undefined],
    [false, true, false, false, false, false, false, undefined],
  ]);
  assert.notEqual(mute.relationship?.muteExpiresAt, undefined);

  // The relationships other areas read (GetProfile) are the same rows, hidden users included.
  const rows = await relationshipsOf(
    sharedGraph(g.app.database.db),
    ann.userId,
    [suspended.userId, blocker.userId, muted.userId],
    g.h.clock.now(),
  );
  assert.deepEqual(
    rows.map((r) => [r.userId, r.following, r.muting, r.muteExpiresAt?.getTime()]),
    [
      [suspended.userId, true, false, undefined],
      [blocker.userId, false, false, undefined],
      [
        muted.userId,
        true,
        true,
        Number(mute.relationship!.muteExpiresAt!.seconds) * 1000 +
          mute.relationship!.muteExpiresAt!.nanos / 1e6,
      ],
    ],
  );
});

test('a suspension whose end has passed no longer hides the user from follows and lists', async () => {
  const [ann, bob, cat] = [await g.member(), await g.member(), await g.member()];
  await cat.user.follow({ userId: bob.userId });
  const now = g.h.clock.now().getTime();
  await moderate(bob, {
    moderation_suspended: true,
    moderation_suspended_until: new Date(now + MINUTE),
  });
  assert.equal(await codeOf(ann.user.follow({ userId: bob.userId })), Code.NotFound);
  assert.equal(await codeOf(ann.user.listFollowers({ userId: bob.userId })), Code.NotFound);
  assert.deepEqual((await cat.user.listFollowing({ userId: cat.userId })).following, []);

  g.h.clock.advance(2 * MINUTE);
  assert.equal((await ann.user.follow({ userId: bob.userId })).relationship?.following, true);
  assert.deepEqual(
    (await ann.user.listFollowers({ userId: bob.userId })).followers.map((f) => f.user?.userId),
    [ann.userId, cat.userId],
  );
  assert.deepEqual(
    (await cat.user.listFollowing({ userId: cat.userId })).following.map((f) => f.user?.userId),
    [bob.userId],
  );
});
