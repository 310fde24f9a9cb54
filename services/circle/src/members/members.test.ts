import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code, createClient } from '@connectrpc/connect';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { AuditAction, CircleRole } from '@kith/gen/kith/circle/v1/types_pb.js';
import { codeOf, rejectsWith, violatedFields } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import {
  deviceClient,
  seedUser,
  signIn,
  startAuthHarness,
  startSession,
} from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness, Person } from '../testing/circle-harness.js';

let c: CircleHarness<AuthHarness>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(() => c?.stop());

/** A circle with its OWNER, two ADMINs and two MEMBERs; after the OWNER, `member` joined first. */
async function crew() {
  const owner = await c.person();
  const circleId = await c.circle(owner);
  const [admin, admin2, member, member2] = [
    await c.person(),
    await c.person(),
    await c.person(),
    await c.person(),
  ];
  for (const [person, role] of [
    [member, CircleRole.MEMBER],
    [admin, CircleRole.ADMIN],
    [admin2, CircleRole.ADMIN],
    [member2, CircleRole.MEMBER],
  ] as const) {
    c.h.clock.advance(1000);
    await c.join(circleId, person, role);
  }
  return { circleId, owner, admin, admin2, member, member2 };
}

const roleOf = async (viewer: Person, circleId: string, userId: string) =>
  (await viewer.circles.listMembers({ circleId })).members.find((m) => m.user?.userId === userId)
    ?.role;

test('ListMembers shows the OWNER and ADMINs first, then members by join time, to members only', async () => {
  const { circleId, owner, admin, admin2, member, member2 } = await crew();
  const outsider = await c.person();
  const { members } = await member.circles.listMembers({ circleId });
  // Roles first; within a role, who joined first (the member joined before both admins).
  assert.deepEqual(
    members.map((m) => m.user?.userId),
    [owner.userId, admin.userId, admin2.userId, member.userId, member2.userId],
  );
  assert.equal(members[1]!.user?.username, admin.username);
  const page = await member.circles.listMembers({ circleId, pageSize: 2 });
  const rest = await member.circles.listMembers({
    circleId,
    pageSize: 10,
    pageToken: page.nextPageToken,
  });
  assert.equal(page.members.length + rest.members.length, 5);
  assert.deepEqual(
    (await owner.circles.listMembers({ circleId, role: CircleRole.ADMIN })).members.map(
      (m) => m.user?.userId,
    ),
    [admin.userId, admin2.userId],
  );
  await rejectsWith(outsider.circles.listMembers({ circleId }), Code.NotFound);
});

test('an ADMIN removes a MEMBER but never an ADMIN or the OWNER; a MEMBER removes nobody', async () => {
  const { circleId, owner, admin, admin2, member, member2 } = await crew();
  const before = await c.snapshot();
  for (const [actor, target] of [
    [admin, admin2],
    [admin, owner],
    [member, member2],
    [owner, owner],
  ] as const) {
    assert.notEqual(
      await codeOf(actor.circles.removeMember({ circleId, userId: target.userId })),
      'ok',
    );
  }
  assert.equal(
    await codeOf(admin.circles.removeMember({ circleId, userId: admin2.userId })),
    Code.PermissionDenied,
  );
  assert.equal(
    await codeOf(member.circles.removeMember({ circleId, userId: member2.userId })),
    Code.PermissionDenied,
  );
  assert.deepEqual(await c.snapshot(), before, 'the refusals changed nothing');

  await admin.circles.removeMember({ circleId, userId: member.userId, reason: 'spam' });
  const removed = (await c.events()).at(-1)!;
  assert.equal(removed.case, 'circleMemberRemoved');
  assert.equal(removed.value.reason, 'spam');
  assert.equal(removed.value.removedByUserId, admin.userId);
  // The removed member reads nothing of the circle on the very next call.
  await rejectsWith(member.circles.getCircle({ circleId }), Code.NotFound);
  await owner.circles.removeMember({ circleId, userId: admin2.userId });
  const { view } = await owner.circles.getCircle({ circleId });
  assert.equal(view.case === 'circle' && view.value.memberCount, 3);
});

test('SetMemberRole is the OWNER’s: it makes ADMINs and MEMBERs, never another OWNER', async () => {
  const { circleId, owner, admin, member } = await crew();
  await rejectsWith(
    admin.circles.setMemberRole({ circleId, userId: member.userId, role: CircleRole.ADMIN }),
    Code.PermissionDenied,
  );
  await rejectsWith(
    owner.circles.setMemberRole({ circleId, userId: member.userId, role: CircleRole.OWNER }),
    Code.InvalidArgument,
  );
  const { member: promoted } = await owner.circles.setMemberRole({
    circleId,
    userId: member.userId,
    role: CircleRole.ADMIN,
  });
  assert.equal(promoted?.role, CircleRole.ADMIN);
  const changed = (await c.events()).at(-1)!;
  assert.equal(changed.case, 'circleRoleChanged');
  assert.equal(changed.value.oldRole, CircleRole.MEMBER);
  assert.equal(changed.value.version, promoted?.version);
  const events = (await c.events()).length;
  await owner.circles.setMemberRole({ circleId, userId: member.userId, role: CircleRole.ADMIN });
  assert.equal((await c.events()).length, events, 'the same role again changes nothing');
  await rejectsWith(
    owner.circles.setMemberRole({ circleId, userId: owner.userId, role: CircleRole.MEMBER }),
    Code.FailedPrecondition,
  );
});

test('concurrent TransferOwnership leaves exactly one OWNER; the previous one becomes ADMIN', async () => {
  const { circleId, owner, admin, member } = await crew();
  const outcomes = await Promise.allSettled([
    owner.circles.transferOwnership({ circleId, newOwnerId: admin.userId }),
    owner.circles.transferOwnership({ circleId, newOwnerId: member.userId }),
  ]);
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  const owners = await c.app.database.db
    .selectFrom('members')
    .select('user_id')
    .where('circle_id', '=', circleId)
    .where('role', '=', CircleRole.OWNER)
    .execute();
  assert.equal(owners.length, 1);
  const newOwner = owners[0]!.user_id;
  assert.ok([admin.userId, member.userId].includes(newOwner));
  assert.equal(await roleOf(owner, circleId, owner.userId), CircleRole.ADMIN);
  const { view } = await owner.circles.getCircle({ circleId });
  assert.equal(view.case === 'circle' && view.value.ownerId, newOwner);
  await rejectsWith(
    owner.circles.transferOwnership({ circleId, newOwnerId: owner.userId }),
    Code.PermissionDenied,
  );
});

test('TransferOwnership to a non-member is refused and changes nothing', async () => {
  const { circleId, owner } = await crew();
  const stranger = await c.person();
  const before = await c.snapshot();
  await rejectsWith(
    owner.circles.transferOwnership({ circleId, newOwnerId: stranger.userId }),
    Code.FailedPrecondition,
  );
  assert.deepEqual(await c.snapshot(), before);
});

test('Leave: a member goes (circle.member_left); the OWNER must hand on ownership first; a stale sign-in must re-authenticate', async () => {
  const { circleId, owner, member } = await crew();
  await rejectsWith(owner.circles.leave({ circleId }), Code.FailedPrecondition);
  await member.circles.leave({ circleId });
  const left = (await c.events()).at(-1)!;
  assert.equal(left.case, 'circleMemberLeft');
  assert.equal(left.value.userId, member.userId);
  await rejectsWith(member.circles.leave({ circleId }), Code.NotFound);
  const { entries } = await owner.circles.listCircleAuditLog({
    circleId,
    actions: [AuditAction.MEMBER_LEFT],
  });
  assert.equal(entries[0]?.target?.userId, member.userId);

  // A rejoin continues the membership's versions: it is always newer than the leave.
  const leftVersion = left.case === 'circleMemberLeft' ? left.value.version : 0n;
  await c.join(circleId, member);
  const { members } = await owner.circles.listMembers({ circleId });
  assert.ok(members.find((m) => m.user?.userId === member.userId)!.version > leftVersion);
});

test('Leave after an hour without signing in answers FailedPrecondition and keeps the membership', async () => {
  const account = await seedUser(c.h, { signedIn: false });
  await c.app.database.db
    .insertInto('users')
    .values({
      user_id: account.userId,
      username: account.username,
      display_name: '',
      avatar_url: '',
      locked: false,
      version: '1',
    })
    .execute();
  const owner = await c.person();
  const circleId = await c.circle(owner);
  const session = await signIn(deviceClient(c.h), account);
  await c.join(circleId, account);
  c.h.clock.advance(61 * 60 * 1000);
  const refreshed = (await deviceClient(c.h).refresh({ refreshToken: session.refreshToken }))
    .tokens!;
  const circles = createClient(CircleService, c.h.as(refreshed.accessToken).transport);
  const before = await c.snapshot();
  const err = await rejectsWith(circles.leave({ circleId }), Code.FailedPrecondition);
  assert.equal(err.rawMessage, 'reauthentication required: call Reauthenticate first');
  assert.deepEqual(await c.snapshot(), before);
});

test('SetMemberSafetyRole sets the caller’s own flags and quiet hours; a zone that does not exist is refused', async () => {
  const { circleId, member } = await crew();
  const err = await rejectsWith(
    member.circles.setMemberSafetyRole({
      circleId,
      safety: { quietHours: { startMinute: 1320, endMinute: 420, timeZone: 'Mars/Olympus' } },
      updateMask: { paths: ['quiet_hours'] },
    }),
    Code.InvalidArgument,
  );
  assert.deepEqual(violatedFields(err), ['safety.quiet_hours.time_zone']);
  const { member: updated } = await member.circles.setMemberSafetyRole({
    circleId,
    safety: {
      responder: true,
      primaryContact: true,
      quietHours: { startMinute: 1320, endMinute: 420, timeZone: 'Europe/Berlin' },
      quietHoursEnabled: true,
    },
    updateMask: { paths: ['responder', 'quiet_hours', 'quiet_hours_enabled'] },
  });
  assert.equal(updated?.safety?.responder, true);
  assert.equal(updated?.safety?.primaryContact, false, 'not in the mask');
  assert.equal(updated?.safety?.quietHours?.timeZone, 'Europe/Berlin');
  const changed = (await c.events()).at(-1)!;
  assert.equal(changed.case, 'circleSafetyRoleChanged');
  assert.equal(changed.value.safety?.responder, true);
  assert.equal(changed.value.version, updated?.version);
  const { members } = await member.circles.listMembers({ circleId, respondersOnly: true });
  assert.deepEqual(
    members.map((m) => m.user?.userId),
    [member.userId],
  );
});
