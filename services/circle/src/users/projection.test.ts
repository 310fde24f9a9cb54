import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { rejectsWith, waitFor } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness } from '../testing/circle-harness.js';

// The profiles and blocks circle keeps follow user.profile_updated and user.blocked /
// user.unblocked through the bus, each applied only when its version is newer than the one held.

let c: CircleHarness<AuthHarness>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(() => c?.stop());

const eventually = (check: () => Promise<boolean>, what: string) =>
  waitFor(check, { timeoutMs: 10_000, intervalMs: 50, what });

const profile = (userId: string, username: string, version: bigint) => ({
  case: 'userProfileUpdated' as const,
  value: { userId, username, displayName: username, avatarUrl: '', version },
});

test('a member shows the newest profile; a replayed older one changes nothing', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, ben);
  const nameOfBen = async () =>
    (await ana.circles.listMembers({ circleId })).members.find((m) => m.user?.userId === ben.userId)
      ?.user?.username;

  await c.publishAs('user', profile(ben.userId, 'ben_renamed', 5n));
  await eventually(async () => (await nameOfBen()) === 'ben_renamed', 'the new username');
  await c.publishAs('user', profile(ben.userId, 'ben_old', 4n));
  // A marker published after the replay: once it is applied, so is the replay before it.
  const marker = await c.person();
  await c.publishAs('user', profile(marker.userId, 'marker_applied', 9n));
  await eventually(async () => {
    const row = await c.app.database.db
      .selectFrom('users')
      .select('username')
      .where('user_id', '=', marker.userId)
      .executeTakeFirst();
    return row?.username === 'marker_applied';
  }, 'the marker');
  assert.equal(await nameOfBen(), 'ben_renamed');
});

test('a block hides a discoverable circle from the blocked user; the unblock shows it again and a replayed block does not bring it back', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana, { discoverable: true, joinRule: JoinRule.REQUEST });
  const visible = async () =>
    (await ben.circles.getCircle({ circleId }).catch(() => undefined)) !== undefined;
  assert.equal(await visible(), true);

  const block = { blockerId: ben.userId, blockedId: ana.userId, version: 1n };
  await c.publishAs('user', { case: 'userBlocked', value: block });
  await eventually(async () => !(await visible()), 'the block to apply');
  await rejectsWith(ben.circles.getCircle({ circleId }), Code.NotFound);

  await c.publishAs('user', { case: 'userUnblocked', value: { ...block, version: 2n } });
  await eventually(visible, 'the unblock to apply');
  await c.publishAs('user', { case: 'userBlocked', value: block });
  const marker = await c.person();
  await c.publishAs('user', profile(marker.userId, 'marker_after_replay', 3n));
  await eventually(async () => {
    const row = await c.app.database.db
      .selectFrom('users')
      .select('username')
      .where('user_id', '=', marker.userId)
      .executeTakeFirst();
    return row?.username === 'marker_after_replay';
  }, 'the marker');
  assert.equal(await visible(), true, 'the replayed old block was dropped');
});
