import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { CircleRole, JoinRule, JoinVia, RequestStatus } from '@kith/gen/kith/circle/v1/types_pb.js';
import { rejectsWith } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
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

async function people(n: number): Promise<Person[]> {
  const all: Person[] = [];
  for (let i = 0; i < n; i++) all.push(await c.person());
  return all;
}

const memberCount = async (owner: Person, circleId: string) => {
  const { view } = await owner.circles.getCircle({ circleId });
  return view.case === 'circle' ? view.value.memberCount : -1;
};

test('a link shows what it leads to and joins its holder (via INVITE_LINK); a member gets the circle back', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana, { rules: [{ title: 'Be kind', body: '' }] });
  const { inviteLink } = await ana.circles.createInviteLink({ circleId });
  assert.ok(inviteLink);
  assert.match(inviteLink.code, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(inviteLink.url, `http://localhost:3000/join/${inviteLink.code}`);

  const preview = await ben.circles.previewInviteLink({ code: inviteLink.code });
  assert.equal(preview.circle?.circleId, circleId);
  assert.equal(preview.circle?.member, false);
  assert.deepEqual(
    preview.rules.map((r) => r.title),
    ['Be kind'],
  );
  const { result } = await ben.circles.joinByLink({ code: inviteLink.code });
  assert.equal(result.case, 'circle');
  const joined = (await c.events()).at(-1)!;
  assert.equal(joined.case, 'circleMemberJoined');
  assert.equal(joined.value.joinedVia, JoinVia.INVITE_LINK);
  const again = await ben.circles.joinByLink({ code: inviteLink.code });
  assert.equal(again.result.case, 'circle');
  const [listed] = (await ana.circles.listInviteLinks({ circleId })).inviteLinks;
  assert.equal(listed?.useCount, 1, 'a member coming back uses nothing');
});

test('50 people joining at once by link fill the 10 free seats exactly', async () => {
  const ana = await c.person();
  const circleId = await c.circle(ana, { memberCap: 11 });
  const { inviteLink } = await ana.circles.createInviteLink({ circleId });
  const crowd = await people(50);
  const outcomes = await Promise.allSettled(
    crowd.map((p) => p.circles.joinByLink({ code: inviteLink!.code })),
  );
  const admitted = outcomes.filter((o) => o.status === 'fulfilled').length;
  assert.equal(admitted, 10);
  assert.equal(await memberCount(ana, circleId), 11);
  for (const o of outcomes) {
    if (o.status === 'rejected') assert.match(String(o.reason), /the circle is full/);
  }
});

test('a link with max_uses 5 admits exactly 5 of 20 joining at once, then answers NotFound', async () => {
  const ana = await c.person();
  const circleId = await c.circle(ana);
  const { inviteLink } = await ana.circles.createInviteLink({ circleId, maxUses: 5 });
  const crowd = await people(20);
  const outcomes = await Promise.allSettled(
    crowd.map((p) => p.circles.joinByLink({ code: inviteLink!.code })),
  );
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 5);
  assert.equal(await memberCount(ana, circleId), 6);
  const late = await c.person();
  await rejectsWith(late.circles.previewInviteLink({ code: inviteLink!.code }), Code.NotFound);
  const all = await ana.circles.listInviteLinks({ circleId, includeInactive: true });
  assert.equal(all.inviteLinks[0]?.useCount, 5);
  assert.deepEqual((await ana.circles.listInviteLinks({ circleId })).inviteLinks, []);
});

test('a revoked, paused or expired link answers NotFound as an unknown code does', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  const revoked = (await ana.circles.createInviteLink({ circleId })).inviteLink!;
  const paused = (await ana.circles.createInviteLink({ circleId })).inviteLink!;
  const brief = (await ana.circles.createInviteLink({ circleId, expiresIn: { seconds: 300n } }))
    .inviteLink!;
  await ana.circles.revokeInviteLink({ inviteLinkId: revoked.inviteLinkId });
  await ana.circles.revokeInviteLink({ inviteLinkId: revoked.inviteLinkId }); // again: fine
  await rejectsWith(
    ana.circles.updateInviteLink({
      inviteLinkId: revoked.inviteLinkId,
      disabled: false,
      updateMask: { paths: ['disabled'] },
    }),
    Code.FailedPrecondition,
  );
  await ana.circles.updateInviteLink({
    inviteLinkId: paused.inviteLinkId,
    disabled: true,
    updateMask: { paths: ['disabled'] },
  });
  c.h.clock.advance(301_000);
  const ben2 = await c.session(ben);
  const before = await c.snapshot();
  for (const code of [revoked.code, paused.code, brief.code, 'NoSuchCodeAtAll_12345']) {
    await rejectsWith(ben2.circles.previewInviteLink({ code }), Code.NotFound);
    await rejectsWith(ben2.circles.joinByLink({ code }), Code.NotFound);
  }
  assert.deepEqual(await c.snapshot(), before);
  // Enabled again, the paused link works.
  const ana2 = await c.session(ana);
  await ana2.circles.updateInviteLink({
    inviteLinkId: paused.inviteLinkId,
    disabled: false,
    updateMask: { paths: ['disabled'] },
  });
  assert.equal((await ben2.circles.joinByLink({ code: paused.code })).result.case, 'circle');
});

test('an approval link files a join request; an ADMIN approves and the requester joins via JOIN_REQUEST', async () => {
  const ana = await c.person();
  const admin = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, admin, CircleRole.ADMIN);
  const { inviteLink } = await admin.circles.createInviteLink({ circleId, requireApproval: true });
  const { result } = await ben.circles.joinByLink({ code: inviteLink!.code, message: 'Hi!' });
  assert.equal(result.case, 'joinRequest');
  const request = result.value!;
  assert.equal(request.status, RequestStatus.PENDING);
  assert.equal(request.inviteLinkId, inviteLink!.inviteLinkId);
  assert.equal(request.circle?.pendingJoinRequestId, request.joinRequestId);
  const requested = (await c.events()).at(-1)!;
  assert.equal(requested.case, 'circleJoinRequested');
  assert.deepEqual(requested.value.recipientUserIds, [ana.userId, admin.userId]);
  // Asking again returns the pending request.
  const again = await ben.circles.joinByLink({ code: inviteLink!.code });
  assert.equal(
    again.result.case === 'joinRequest' && again.result.value.joinRequestId,
    request.joinRequestId,
  );

  const { member } = await admin.circles.approveJoinRequest({
    joinRequestId: request.joinRequestId,
  });
  assert.equal(member?.user?.userId, ben.userId);
  const joined = (await c.events()).at(-1)!;
  assert.equal(joined.case, 'circleMemberJoined');
  assert.equal(joined.value.joinedVia, JoinVia.JOIN_REQUEST);
  assert.equal(joined.value.approvedByUserId, admin.userId);
  assert.equal(await memberCount(ana, circleId), 3);
});

test('a banned user cannot come back by link', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana, { joinRule: JoinRule.REQUEST });
  const { inviteLink } = await ana.circles.createInviteLink({ circleId });
  await ana.circles.banMember({ circleId, userId: ben.userId });
  const before = await c.snapshot();
  await rejectsWith(ben.circles.joinByLink({ code: inviteLink!.code }), Code.FailedPrecondition);
  assert.deepEqual(await c.snapshot(), before);
});
