import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { CircleAdminService } from '@kith/gen/kith/circle/v1/circle_admin_pb.js';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { HideReason, JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
// By path: the circle package does not depend on the auth service; its harness issues the
// tokens and API keys these calls are made with.
import { codeOf, seedUser, startAuthHarness } from '../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../auth/src/testing/index.js';
import { circleModule } from './module.js';

// A call that passes authentication, the role gate and the API-key scope reaches its handler:
// NotFound for a circle that does not exist proves the call got through.

const CIRCLE_ID = '0190f2f6-6f3c-7cc0-8b5c-7a0000000001';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness({ modules: [circleModule] });
});
afterAll(async () => {
  await h?.stop();
});

async function keyWith(user: TestUser, scopes: ApiKeyScope[]): Promise<string> {
  const res = await h.as(user.accessToken).auth.createApiKey({
    name: 'circle key',
    scopes,
    proof: { case: 'currentPassword', value: user.password },
  });
  return res.secret;
}

const window = () => {
  const now = h.clock.now().getTime();
  return { since: timestampFromMs(now - 86_400_000), until: timestampFromMs(now) };
};

test('circles:read reaches the reads and nothing that changes a circle', async () => {
  const secret = await keyWith(await seedUser(h), [ApiKeyScope.CIRCLES_READ]);
  const circles = createClient(CircleService, h.as(secret).transport);
  assert.equal(await codeOf(circles.getCircle({ circleId: CIRCLE_ID })), Code.NotFound);
  assert.equal(await codeOf(circles.searchCircles({ query: 'book club' })), 'ok');
  assert.equal(await codeOf(circles.listCircleAuditLog({ circleId: CIRCLE_ID })), Code.NotFound);
  assert.equal(
    await codeOf(
      circles.hidePost({ circleId: CIRCLE_ID, postId: CIRCLE_ID, reason: HideReason.SPAM }),
    ),
    Code.PermissionDenied,
  );
  // Invite codes admit people: listing them takes what creating a link takes.
  assert.equal(
    await codeOf(circles.listInviteLinks({ circleId: CIRCLE_ID })),
    Code.PermissionDenied,
  );
});

test('no API key leaves, deletes, restores, transfers or sets a safety role', async () => {
  const secret = await keyWith(await seedUser(h), [
    ApiKeyScope.CIRCLES_READ,
    ApiKeyScope.CIRCLES_WRITE,
  ]);
  const circles = createClient(CircleService, h.as(secret).transport);
  const circleId = CIRCLE_ID;
  assert.equal(await codeOf(circles.leave({ circleId })), Code.PermissionDenied);
  assert.equal(await codeOf(circles.deleteCircle({ circleId })), Code.PermissionDenied);
  assert.equal(await codeOf(circles.restoreCircle({ circleId })), Code.PermissionDenied);
  assert.equal(
    await codeOf(circles.transferOwnership({ circleId, newOwnerId: circleId })),
    Code.PermissionDenied,
  );
  assert.equal(
    await codeOf(
      circles.setMemberSafetyRole({
        circleId,
        safety: { responder: true },
        updateMask: { paths: ['responder'] },
      }),
    ),
    Code.PermissionDenied,
  );
  // The same key reaches what circles:write covers.
  assert.equal(
    await codeOf(circles.hidePost({ circleId, postId: circleId, reason: HideReason.SPAM })),
    Code.NotFound,
  );
  assert.equal(await codeOf(circles.listInviteLinks({ circleId })), Code.NotFound);
});

test('CircleAdminService refuses everyone but admins, before validating the request, and answers admins from the circle tables', async () => {
  for (const role of ['user', 'triage', 'moderator'] as const) {
    const caller = await seedUser(h, { role });
    const admin = createClient(CircleAdminService, h.as(caller.accessToken).transport);
    assert.equal(await codeOf(admin.getStats({})), Code.PermissionDenied, role);
  }
  const staff = await seedUser(h, { role: 'admin' });
  const admin = createClient(CircleAdminService, h.as(staff.accessToken).transport);
  assert.equal(await codeOf(admin.getStats({})), Code.InvalidArgument);
  // The figures come from circle's own tables: one circle, its owner its one member.
  const owner = await seedUser(h);
  await createClient(CircleService, h.as(owner.accessToken).transport).createCircle({
    name: 'Book club',
    joinRule: JoinRule.INVITE_ONLY,
  });
  h.clock.advance(1000);
  const stats = await admin.getStats(window());
  assert.equal(stats.circlesCreated, 1n);
  assert.equal(stats.totalCircles, 1n);
  assert.equal(stats.totalMemberships, 1n);
  assert.equal(stats.medianCircleSize, 1);
  assert.equal(stats.membersJoined, 0n, "an owner's own membership is not a join");
  // An admin's API key never reaches the staff console.
  const key = await keyWith(staff, [ApiKeyScope.CIRCLES_READ, ApiKeyScope.CIRCLES_WRITE]);
  const byKey = createClient(CircleAdminService, h.as(key).transport);
  assert.equal(await codeOf(byKey.getStats(window())), Code.PermissionDenied);
});
