import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { AuditAction, CircleRole, JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { rejectsWith } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness } from '../testing/circle-harness.js';
import { liftExpiredBans } from './bans.js';

let c: CircleHarness<AuthHarness>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(() => c?.stop());

const HOUR = 60 * 60 * 1000;

test('a banned member is removed and cannot come back by invite until the ban is lifted', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  const { invite: early } = await ana.circles.inviteMember({ circleId, userId: ben.userId });
  await ben.circles.acceptInvite({ inviteId: early!.inviteId });

  const { ban } = await ana.circles.banMember({ circleId, userId: ben.userId, reason: 'threats' });
  assert.equal(ban?.user?.userId, ben.userId);
  assert.equal(ban?.expiresAt, undefined, 'permanent');
  const removed = (await c.events()).at(-1)!;
  assert.equal(removed.case, 'circleMemberRemoved');
  assert.equal(removed.value.banned, true);
  assert.equal(removed.value.reason, 'threats');
  await rejectsWith(ben.circles.getCircle({ circleId }), Code.NotFound);

  const err = await rejectsWith(
    ana.circles.inviteMember({ circleId, userId: ben.userId }),
    Code.FailedPrecondition,
  );
  assert.equal(err.rawMessage, 'the user is banned from this circle');
  assert.deepEqual(
    (await ana.circles.listBans({ circleId })).bans.map((b) => b.user?.userId),
    [ben.userId],
  );

  await ana.circles.unbanMember({ circleId, userId: ben.userId });
  await ana.circles.unbanMember({ circleId, userId: ben.userId }); // none left: still fine
  assert.deepEqual((await ana.circles.listBans({ circleId })).bans, []);
  const { invite } = await ana.circles.inviteMember({ circleId, userId: ben.userId });
  await ben.circles.acceptInvite({ inviteId: invite!.inviteId });
});

test('a discoverable circle shows no preview to a user it bans', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana, { discoverable: true, joinRule: JoinRule.REQUEST });
  assert.equal((await ben.circles.getCircle({ circleId })).view.case, 'preview');
  await ana.circles.banMember({ circleId, userId: ben.userId });
  await rejectsWith(ben.circles.getCircle({ circleId }), Code.NotFound);
});

test('an invite sent before a pre-emptive ban cannot be accepted', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  const { invite } = await ana.circles.inviteMember({ circleId, userId: ben.userId });
  await ana.circles.banMember({ circleId, userId: ben.userId });
  const audit = await ana.circles.listCircleAuditLog({ circleId });
  assert.equal(audit.entries[0]!.action, AuditAction.MEMBER_BANNED);
  const before = await c.snapshot();
  await rejectsWith(
    ben.circles.acceptInvite({ inviteId: invite!.inviteId }),
    Code.FailedPrecondition,
  );
  assert.deepEqual(await c.snapshot(), before);
});

test('bans follow the removal ranks: an ADMIN bans members only, a MEMBER nobody; an unknown user is NotFound', async () => {
  const ana = await c.person();
  const admin = await c.person();
  const admin2 = await c.person();
  const member = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, admin, CircleRole.ADMIN);
  await c.join(circleId, admin2, CircleRole.ADMIN);
  await c.join(circleId, member);
  const before = await c.snapshot();
  await rejectsWith(
    admin.circles.banMember({ circleId, userId: admin2.userId }),
    Code.PermissionDenied,
  );
  await rejectsWith(
    admin.circles.banMember({ circleId, userId: ana.userId }),
    Code.PermissionDenied,
  );
  await rejectsWith(
    member.circles.banMember({ circleId, userId: admin.userId }),
    Code.PermissionDenied,
  );
  await rejectsWith(
    ana.circles.banMember({ circleId, userId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' }),
    Code.NotFound,
  );
  await rejectsWith(ana.circles.banMember({ circleId, userId: ana.userId }), Code.InvalidArgument);
  assert.deepEqual(await c.snapshot(), before);
  await admin.circles.banMember({ circleId, userId: member.userId });
});

test('a ban for a duration is lifted by the daemon at its end, with an audit entry and no actor', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, ben);
  const { ban } = await ana.circles.banMember({
    circleId,
    userId: ben.userId,
    duration: { seconds: 3600n },
  });
  assert.equal(
    Number(ban!.expiresAt!.seconds),
    Math.floor((c.h.clock.now().getTime() + HOUR) / 1000),
  );
  c.h.clock.advance(HOUR - 1000);
  await liftExpiredBans(c.app);
  const ana2 = await c.session(ana);
  assert.equal((await ana2.circles.listBans({ circleId })).bans.length, 1);
  c.h.clock.advance(2000);
  assert.ok((await liftExpiredBans(c.app)) >= 1);
  assert.deepEqual((await ana2.circles.listBans({ circleId })).bans, []);
  const { entries } = await ana2.circles.listCircleAuditLog({
    circleId,
    actions: [AuditAction.MEMBER_UNBANNED],
  });
  assert.equal(entries.length, 1);
  assert.equal(entries[0]!.actor, undefined);
  assert.equal(entries[0]!.target?.userId, ben.userId);
});
