import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { CircleRole } from '@kith/gen/kith/circle/v1/types_pb.js';
import { Reach, ResolutionKind } from '@kith/gen/kith/support/v1/types_pb.js';
import { codeOf, waitFor } from '@kith/testkit';
import { uuidv7 } from 'uuidv7';
// By path: the support package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import { authDeps, startSupportHarness } from '../testing/support-harness.js';
import type { SupportHarness } from '../testing/support-harness.js';

let s: SupportHarness;
beforeAll(async () => {
  s = await startSupportHarness(authDeps(startAuthHarness, (h) => seedUser(h), startSession));
});
afterAll(() => s?.stop());

const member = (circleId: string, userId: string) =>
  s.app.database.db
    .selectFrom('circle_members')
    .selectAll()
    .where('circle_id', '=', circleId)
    .where('user_id', '=', userId)
    .executeTakeFirst();

test('circle events build the memberships and safety roles an SOS reaches, by version, whatever the order', async () => {
  const owner = await s.person();
  const friend = await s.person();
  const circleId = uuidv7();
  const joined = (userId: string, role: CircleRole, version: bigint) =>
    s.publishAs('circle', {
      case: 'circleMemberJoined',
      value: { circleId, userId, role, version },
    });
  await joined(owner.userId, CircleRole.OWNER, 1n);
  await joined(friend.userId, CircleRole.MEMBER, 1n);
  await s.publishAs('circle', {
    case: 'circleSafetyRoleChanged',
    value: { circleId, userId: friend.userId, safety: { primaryContact: true }, version: 3n },
  });
  // An older role change arriving after the safety change still applies its role…
  await s.publishAs('circle', {
    case: 'circleRoleChanged',
    value: {
      circleId,
      userId: friend.userId,
      oldRole: CircleRole.MEMBER,
      newRole: CircleRole.ADMIN,
      version: 2n,
    },
  });
  // …and a replayed join changes nothing.
  await joined(friend.userId, CircleRole.MEMBER, 1n);
  await waitFor(async () => (await member(circleId, friend.userId))?.role === CircleRole.ADMIN, {
    timeoutMs: 10_000,
    what: 'the projection applied the events',
  });
  await waitFor(async () => (await member(circleId, owner.userId)) !== undefined, {
    timeoutMs: 10_000,
    what: 'the owner joined',
  });
  const row = await member(circleId, friend.userId);
  assert.equal(row?.primary_contact, true);

  const { incident, reach } = await owner.support.raiseSos({ circleIds: [circleId] });
  assert.equal(reach, Reach.MEMBERS);
  assert.deepEqual(
    incident?.responders.map((r) => r.user?.userId),
    [friend.userId],
  );
  await owner.support.resolve({
    incidentId: incident!.incidentId,
    kind: ResolutionKind.ALL_CLEAR,
    reason: 'ok',
  });

  // Leaving resets the safety role; a deleted circle takes no new incident.
  await s.publishAs('circle', {
    case: 'circleMemberLeft',
    value: { circleId, userId: friend.userId, version: 4n },
  });
  await s.publishAs('circle', { case: 'circleDeleted', value: { circleId, version: 2n } });
  await waitFor(async () => (await member(circleId, friend.userId))?.role === 0, {
    timeoutMs: 10_000,
    what: 'the leave applied',
  });
  assert.equal((await member(circleId, friend.userId))?.primary_contact, false);
  await waitFor(
    async () => (await codeOf(owner.support.raiseSos({ circleIds: [circleId] }))) === Code.NotFound,
    { timeoutMs: 10_000, what: 'the deletion applied' },
  );
});
