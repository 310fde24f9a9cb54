import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { CircleInternalService } from '@kith/gen/kith/circle/v1/internal_pb.js';
import { CircleRole } from '@kith/gen/kith/circle/v1/types_pb.js';
import { circleMemberships, internalClient } from '@kith/runtime';
import type { CircleMemberships } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness, Person } from '../testing/circle-harness.js';

// The in-memory membership view other services keep (@kith/runtime circleMemberships), against
// the real circle service: loaded from ListCircleMemberships, kept current by circle.* events.

let c: CircleHarness<AuthHarness>;
const views: CircleMemberships[] = [];
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(async () => {
  for (const view of views) view.stop();
  await c?.stop();
});

function view(maxCircles?: number): CircleMemberships {
  const v = circleMemberships({
    bus: c.app.ctx.bus,
    circles: internalClient(c.app.ctx.bus, CircleInternalService),
    logger: c.app.logger,
    maxCircles,
  });
  views.push(v);
  return v;
}

/** `person` joins through an accepted invite (circle.member_joined is published). */
async function invited(owner: Person, circleId: string, person: Person): Promise<void> {
  const { invite } = await owner.circles.inviteMember({ circleId, userId: person.userId });
  await person.circles.acceptInvite({ inviteId: invite!.inviteId });
}

const until = (check: () => boolean, what: string) =>
  waitFor(async () => check(), { timeoutMs: 10_000, intervalMs: 20, what });

test('a circle is loaded on first use, then follows joins, role changes, removals, deletion and restore', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const cat = await c.person();
  const circleId = await c.circle(ana);
  await invited(ana, circleId, ben);
  const v = view();

  assert.equal(v.peek(circleId, ana.userId), null, 'nothing is held before first use');
  assert.equal(await v.roleOf(circleId, ana.userId), CircleRole.OWNER);
  assert.equal(await v.roleOf(circleId, ben.userId), CircleRole.MEMBER);
  assert.equal(await v.roleOf(circleId, cat.userId), undefined);

  await invited(ana, circleId, cat);
  await until(() => v.peek(circleId, cat.userId) === CircleRole.MEMBER, 'the join');
  await ana.circles.setMemberRole({ circleId, userId: cat.userId, role: CircleRole.ADMIN });
  await until(() => v.peek(circleId, cat.userId) === CircleRole.ADMIN, 'the role change');
  await ana.circles.removeMember({ circleId, userId: ben.userId });
  await until(() => v.peek(circleId, ben.userId) === undefined, 'the removal');

  await ana.circles.deleteCircle({ circleId });
  await until(() => v.peek(circleId, ana.userId) === undefined, 'the deletion');
  assert.equal(v.peek(circleId, cat.userId), undefined);
  await ana.circles.restoreCircle({ circleId });
  await until(() => v.peek(circleId, ana.userId) === CircleRole.OWNER, 'the restore');
  assert.equal(v.peek(circleId, cat.userId), CircleRole.ADMIN);
});

test('an older event replayed after a newer one changes nothing', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  await invited(ana, circleId, ben);
  const v = view();
  assert.equal(await v.roleOf(circleId, ben.userId), CircleRole.MEMBER);

  await c.publishAs('circle', {
    case: 'circleMemberLeft',
    value: { circleId, userId: ben.userId, version: 1n },
  });
  // A marker after the replay: once the view has it, it has seen the replay too.
  const marker = crypto.randomUUID();
  await c.publishAs('circle', {
    case: 'circleMemberJoined',
    value: { circleId, userId: marker, role: CircleRole.MEMBER, version: 1n },
  });
  await until(() => v.peek(circleId, marker) === CircleRole.MEMBER, 'the marker');
  assert.equal(v.peek(circleId, ben.userId), CircleRole.MEMBER);
});

test('an unknown circle has no members; the least recently used circle is dropped past the bound', async () => {
  const v = view(2);
  assert.equal(await v.roleOf(crypto.randomUUID(), crypto.randomUUID()), undefined);

  const ana = await c.person();
  const [first, second, third] = [await c.circle(ana), await c.circle(ana), await c.circle(ana)];
  assert.equal(await v.roleOf(first, ana.userId), CircleRole.OWNER);
  assert.equal(await v.roleOf(second, ana.userId), CircleRole.OWNER);
  assert.equal(v.peek(first, ana.userId), CircleRole.OWNER); // first is now the most recent
  assert.equal(await v.roleOf(third, ana.userId), CircleRole.OWNER);
  assert.equal(v.peek(second, ana.userId), null, 'the least recently used circle went');
  assert.equal(v.peek(first, ana.userId), CircleRole.OWNER);
});

test('concurrent first uses of a circle share one load', async () => {
  const ana = await c.person();
  const circleId = await c.circle(ana);
  const v = view();
  const roles = await Promise.all(Array.from({ length: 20 }, () => v.roleOf(circleId, ana.userId)));
  assert.deepEqual(new Set(roles), new Set([CircleRole.OWNER]));
});
