import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import {
  AuditAction,
  CircleRole,
  JoinRule,
  RequestStatus,
} from '@kith/gen/kith/circle/v1/types_pb.js';
import { rejectsWith } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness } from '../testing/circle-harness.js';

let c: CircleHarness<AuthHarness>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(() => c?.stop());

const open = { discoverable: true, joinRule: JoinRule.REQUEST };

test('RequestToJoin reaches a discoverable REQUEST circle only; asking again returns the pending request', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const hidden = await c.circle(ana, { joinRule: JoinRule.REQUEST });
  const inviteOnly = await c.circle(ana, { discoverable: true });
  const circleId = await c.circle(ana, open);
  const before = await c.snapshot();
  await rejectsWith(ben.circles.requestToJoin({ circleId: hidden }), Code.NotFound);
  await rejectsWith(ben.circles.requestToJoin({ circleId: inviteOnly }), Code.FailedPrecondition);
  await rejectsWith(ana.circles.requestToJoin({ circleId }), Code.FailedPrecondition);
  assert.deepEqual(await c.snapshot(), before);

  const { joinRequest } = await ben.circles.requestToJoin({ circleId, message: 'I climb too' });
  assert.equal(joinRequest?.status, RequestStatus.PENDING);
  assert.equal(joinRequest?.circle?.name, 'Climbing crew');
  const again = await ben.circles.requestToJoin({ circleId });
  assert.equal(again.joinRequest?.joinRequestId, joinRequest?.joinRequestId);
  const { view } = await ben.circles.getCircle({ circleId });
  assert.equal(
    view.case === 'preview' && view.value.pendingJoinRequestId,
    joinRequest?.joinRequestId,
  );
});

test('an ADMIN lists, rejects and approves requests; a MEMBER may not; the requester sees each outcome', async () => {
  const ana = await c.person();
  const admin = await c.person();
  const member = await c.person();
  const [ben, cat] = [await c.person(), await c.person()];
  const circleId = await c.circle(ana, open);
  await c.join(circleId, admin, CircleRole.ADMIN);
  await c.join(circleId, member);
  const fromBen = (await ben.circles.requestToJoin({ circleId })).joinRequest!;
  const fromCat = (await cat.circles.requestToJoin({ circleId })).joinRequest!;

  const listed = await admin.circles.listJoinRequests({ circleId });
  assert.deepEqual(
    listed.joinRequests.map((r) => r.requester?.userId),
    [ben.userId, cat.userId],
    'oldest first',
  );
  const before = await c.snapshot();
  await rejectsWith(member.circles.listJoinRequests({ circleId }), Code.PermissionDenied);
  await rejectsWith(
    member.circles.approveJoinRequest({ joinRequestId: fromBen.joinRequestId }),
    Code.PermissionDenied,
  );
  await rejectsWith(
    ben.circles.approveJoinRequest({ joinRequestId: fromBen.joinRequestId }),
    Code.NotFound,
  );
  assert.deepEqual(await c.snapshot(), before);

  await admin.circles.rejectJoinRequest({ joinRequestId: fromBen.joinRequestId });
  await admin.circles.approveJoinRequest({ joinRequestId: fromCat.joinRequestId });
  await rejectsWith(
    admin.circles.approveJoinRequest({ joinRequestId: fromBen.joinRequestId }),
    Code.FailedPrecondition,
  );
  const bens = await ben.circles.listMyJoinRequests({ includeInactive: true });
  assert.equal(bens.joinRequests[0]?.status, RequestStatus.DECLINED);
  assert.deepEqual((await ben.circles.listMyJoinRequests({})).joinRequests, []);
  assert.equal((await cat.circles.getCircle({ circleId })).view.case, 'circle');
  const { entries } = await ana.circles.listCircleAuditLog({ circleId });
  assert.deepEqual(
    entries.slice(0, 3).map((e) => e.action),
    [
      AuditAction.MEMBER_JOINED,
      AuditAction.JOIN_REQUEST_APPROVED,
      AuditAction.JOIN_REQUEST_REJECTED,
    ],
  );
});

test('a requester withdraws their own request only; deleting the circle expires the rest', async () => {
  const ana = await c.person();
  const [ben, cat] = [await c.person(), await c.person()];
  const circleId = await c.circle(ana, open);
  const fromBen = (await ben.circles.requestToJoin({ circleId })).joinRequest!;
  const fromCat = (await cat.circles.requestToJoin({ circleId })).joinRequest!;
  await rejectsWith(
    cat.circles.withdrawJoinRequest({ joinRequestId: fromBen.joinRequestId }),
    Code.NotFound,
  );
  await ben.circles.withdrawJoinRequest({ joinRequestId: fromBen.joinRequestId });
  await rejectsWith(
    ben.circles.withdrawJoinRequest({ joinRequestId: fromBen.joinRequestId }),
    Code.FailedPrecondition,
  );
  await ana.circles.deleteCircle({ circleId });
  await ana.circles.restoreCircle({ circleId });
  const cats = await cat.circles.listMyJoinRequests({ includeInactive: true });
  assert.equal(cats.joinRequests[0]?.joinRequestId, fromCat.joinRequestId);
  assert.equal(cats.joinRequests[0]?.status, RequestStatus.EXPIRED);
});

test('a full circle cannot approve; a banned user cannot ask', async () => {
  const ana = await c.person();
  const [ben, cat, dan] = [await c.person(), await c.person(), await c.person()];
  const circleId = await c.circle(ana, { ...open, memberCap: 2 });
  const fromBen = (await ben.circles.requestToJoin({ circleId })).joinRequest!;
  await c.join(circleId, cat);
  const err = await rejectsWith(
    ana.circles.approveJoinRequest({ joinRequestId: fromBen.joinRequestId }),
    Code.FailedPrecondition,
  );
  assert.equal(err.rawMessage, 'the circle is full');
  await ana.circles.banMember({ circleId, userId: dan.userId });
  await rejectsWith(dan.circles.requestToJoin({ circleId }), Code.FailedPrecondition);
});
