import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import {
  AuditAction,
  CircleRole,
  JoinVia,
  RequestStatus,
} from '@kith/gen/kith/circle/v1/types_pb.js';
import { rejectsWith } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness } from '../testing/circle-harness.js';
import { INVITE_TTL_MS } from './invites.js';

let c: CircleHarness<AuthHarness>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(() => c?.stop());

test('an invite is accepted: the invitee joins as a MEMBER via INVITE, and the invite is spent', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  const { invite } = await ana.circles.inviteMember({
    circleId,
    userId: ben.userId,
    message: 'Join us on Sundays',
  });
  assert.ok(invite);
  assert.equal(invite.status, RequestStatus.PENDING);
  assert.equal(invite.invitee?.userId, ben.userId);
  const created = (await c.events()).at(-1)!;
  assert.equal(created.case, 'circleInviteCreated');
  assert.equal(created.value.inviteeUserId, ben.userId);

  const mine = await ben.circles.listMyInvites({});
  assert.deepEqual(
    mine.invites.map((i) => [i.inviteId, i.circle?.name, i.inviter?.userId, i.message]),
    [[invite.inviteId, 'Climbing crew', ana.userId, 'Join us on Sundays']],
  );
  assert.equal(mine.invites[0]!.invitee, undefined, 'the invitee sees no summary of themself');

  const { circle } = await ben.circles.acceptInvite({ inviteId: invite.inviteId });
  assert.equal(circle?.membership?.role, CircleRole.MEMBER);
  assert.equal(circle?.memberCount, 2);
  const joined = (await c.events()).at(-1)!;
  assert.equal(joined.case, 'circleMemberJoined');
  assert.equal(joined.value.joinedVia, JoinVia.INVITE);
  assert.equal(joined.value.invitedByUserId, ana.userId);
  await rejectsWith(
    ben.circles.acceptInvite({ inviteId: invite.inviteId }),
    Code.FailedPrecondition,
  );
  assert.deepEqual((await ben.circles.listMyInvites({})).invites, []);
  const { entries } = await ana.circles.listCircleAuditLog({ circleId });
  assert.deepEqual(
    entries.slice(0, 2).map((e) => e.action),
    [AuditAction.MEMBER_JOINED, AuditAction.INVITE_SENT],
  );
  assert.equal(entries[0]!.actor?.userId, ana.userId, 'who invited');
  // A member cannot be invited again.
  await rejectsWith(
    ana.circles.inviteMember({ circleId, userId: ben.userId }),
    Code.FailedPrecondition,
  );
});

test('inviting again returns the pending invite; a block either way answers NotFound as for nobody', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const cat = await c.person();
  const circleId = await c.circle(ana);
  const first = await ana.circles.inviteMember({ circleId, userId: ben.userId });
  const events = (await c.events()).length;
  const again = await ana.circles.inviteMember({ circleId, userId: ben.userId });
  assert.equal(again.invite?.inviteId, first.invite?.inviteId);
  assert.equal((await c.events()).length, events, 'no second circle.invite_created');

  await c.app.database.db
    .insertInto('blocks')
    .values({ blocker_id: cat.userId, blocked_id: ana.userId, active: true, version: '1' })
    .execute();
  const before = await c.snapshot();
  const blocked = await rejectsWith(
    ana.circles.inviteMember({ circleId, userId: cat.userId }),
    Code.NotFound,
  );
  const unknown = await rejectsWith(
    ana.circles.inviteMember({ circleId, userId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' }),
    Code.NotFound,
  );
  assert.equal(blocked.rawMessage, unknown.rawMessage);
  assert.deepEqual(await c.snapshot(), before);
});

test('a full circle refuses the accept and the invite stays pending; raising the cap lets it through', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const cat = await c.person();
  const circleId = await c.circle(ana, { memberCap: 2 });
  const { invite } = await ana.circles.inviteMember({ circleId, userId: ben.userId });
  await c.join(circleId, cat);
  const before = await c.snapshot();
  const err = await rejectsWith(
    ben.circles.acceptInvite({ inviteId: invite!.inviteId }),
    Code.FailedPrecondition,
  );
  assert.equal(err.rawMessage, 'the circle is full');
  assert.deepEqual(await c.snapshot(), before);
  await ana.circles.updateCircle({ circleId, memberCap: 3, updateMask: { paths: ['member_cap'] } });
  await ben.circles.acceptInvite({ inviteId: invite!.inviteId });
});

test('only the invitee accepts or declines; only the inviter, an OWNER or an ADMIN revokes', async () => {
  const ana = await c.person();
  const admin = await c.person();
  const member = await c.person();
  const ben = await c.person();
  const stranger = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, admin, CircleRole.ADMIN);
  await c.join(circleId, member);
  await rejectsWith(
    member.circles.inviteMember({ circleId, userId: ben.userId }),
    Code.PermissionDenied,
  );
  const { invite } = await admin.circles.inviteMember({ circleId, userId: ben.userId });
  const inviteId = invite!.inviteId;
  const before = await c.snapshot();
  for (const other of [ana, member, stranger]) {
    await rejectsWith(other.circles.acceptInvite({ inviteId }), Code.NotFound);
    await rejectsWith(other.circles.declineInvite({ inviteId }), Code.NotFound);
  }
  for (const other of [member, stranger, ben]) {
    await rejectsWith(other.circles.revokeInvite({ inviteId }), Code.NotFound);
  }
  assert.deepEqual(await c.snapshot(), before);

  const revoked = await ana.circles.revokeInvite({ inviteId });
  assert.equal(revoked.invite?.status, RequestStatus.WITHDRAWN);
  await rejectsWith(ben.circles.acceptInvite({ inviteId }), Code.FailedPrecondition);
  await rejectsWith(ana.circles.revokeInvite({ inviteId }), Code.FailedPrecondition);

  const second = await admin.circles.inviteMember({ circleId, userId: ben.userId });
  await ben.circles.declineInvite({ inviteId: second.invite!.inviteId });
  const sent = await admin.circles.listSentInvites({ circleId, includeInactive: true });
  assert.deepEqual(
    sent.invites.map((i) => i.status),
    [RequestStatus.DECLINED, RequestStatus.WITHDRAWN],
  );
  assert.deepEqual((await admin.circles.listSentInvites({ circleId })).invites, []);
  await rejectsWith(member.circles.listSentInvites({ circleId }), Code.PermissionDenied);
});

test('an invite expires after 14 days, and deleting the circle ends its pending invites for good', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  const { invite } = await ana.circles.inviteMember({ circleId, userId: ben.userId });
  c.h.clock.advance(INVITE_TTL_MS + 1000);
  // Signed in again after the two weeks that passed.
  const [ana2, ben2] = [await c.session(ana), await c.session(ben)];
  await rejectsWith(
    ben2.circles.acceptInvite({ inviteId: invite!.inviteId }),
    Code.FailedPrecondition,
  );
  const sent = await ana2.circles.listSentInvites({ circleId, includeInactive: true });
  assert.equal(sent.invites[0]!.status, RequestStatus.EXPIRED);
  // A new invite replaces the expired one.
  const fresh = await ana2.circles.inviteMember({ circleId, userId: ben.userId });
  assert.notEqual(fresh.invite?.inviteId, invite?.inviteId);

  await ana2.circles.deleteCircle({ circleId });
  assert.deepEqual((await ben2.circles.listMyInvites({})).invites, []);
  await ana2.circles.restoreCircle({ circleId });
  await rejectsWith(
    ben2.circles.acceptInvite({ inviteId: fresh.invite!.inviteId }),
    Code.FailedPrecondition,
  );
});
