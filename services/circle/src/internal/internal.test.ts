import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { CircleInternalService } from '@kith/gen/kith/circle/v1/internal_pb.js';
import { CircleRole, JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { internalClient } from '@kith/runtime';
import type { InternalClient } from '@kith/runtime';
import { rejectsWith } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness } from '../testing/circle-harness.js';

// CircleInternalService over the bus, as the gateway, post, support and moderation ask it.

let c: CircleHarness<AuthHarness>;
let internal: InternalClient<typeof CircleInternalService>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
  internal = internalClient(c.app.ctx.bus, CircleInternalService);
});
afterAll(() => c?.stop());

test('AuthorizeTopics allows only the live circles the user belongs to', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const mine = await c.circle(ana);
  const deleted = await c.circle(ana);
  await ana.circles.deleteCircle({ circleId: deleted });
  const theirs = await c.circle(ben);
  const unknown = crypto.randomUUID();

  const { allowedIds } = await internal.authorizeTopics({
    userId: ana.userId,
    ids: [mine, deleted, theirs, unknown],
  });
  assert.deepEqual(allowedIds, [mine]);
  await rejectsWith(
    internal.authorizeTopics({ userId: ana.userId, ids: [] }),
    Code.InvalidArgument,
  );
});

test('GetMemberships pages through the live memberships with their versions and safety roles; a stranger has none', async () => {
  const ana = await c.person();
  const circles: string[] = [];
  for (let i = 0; i < 5; i++) circles.push(await c.circle(ana));
  await ana.circles.deleteCircle({ circleId: circles[4]! });
  await ana.circles.setMemberSafetyRole({
    circleId: circles[0]!,
    safety: { responder: true },
    updateMask: { paths: ['responder'] },
  });

  const seen: string[] = [];
  let pageToken = '';
  do {
    const page = await internal.getMemberships({ userId: ana.userId, pageSize: 2, pageToken });
    assert.ok(page.memberships.length <= 2);
    for (const m of page.memberships) {
      assert.equal(m.userId, ana.userId);
      assert.equal(m.role, CircleRole.OWNER);
      assert.ok(m.version >= 1n);
      seen.push(m.circleId);
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  assert.deepEqual(seen, circles.slice(0, 4).sort());

  const only = await internal.getMemberships({ userId: ana.userId, circleIds: [circles[0]!] });
  assert.equal(only.memberships.length, 1);
  assert.equal(only.memberships[0]!.safety?.responder, true);
  // The version is the one circle.safety_role_changed carried: the second of the membership.
  assert.equal(only.memberships[0]!.version, 2n);

  const stranger = await internal.getMemberships({ userId: crypto.randomUUID() });
  assert.deepEqual(stranger.memberships, []);
  await rejectsWith(
    internal.getMemberships({ userId: ana.userId, pageSize: 2, pageToken: 'forged' }),
    Code.InvalidArgument,
  );
});

test('ListCircleMemberships lists every member of a circle, a deleted one too, and answers NotFound once purged', async () => {
  const ana = await c.person();
  const circleId = await c.circle(ana);
  const members = [ana.userId];
  for (let i = 0; i < 4; i++) {
    const person = await c.person();
    await c.join(circleId, person, i === 0 ? CircleRole.ADMIN : CircleRole.MEMBER);
    members.push(person.userId);
  }
  const listAll = async () => {
    const ids: string[] = [];
    let pageToken = '';
    let deleted = false;
    do {
      const page = await internal.listCircleMemberships({ circleId, pageSize: 2, pageToken });
      ids.push(...page.memberships.map((m) => m.userId));
      deleted = page.circleDeleted;
      assert.ok(page.circleVersion >= 1n);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return { ids, deleted };
  };
  assert.deepEqual(await listAll(), { ids: [...members].sort(), deleted: false });

  await ana.circles.deleteCircle({ circleId });
  assert.deepEqual(await listAll(), { ids: [...members].sort(), deleted: true });

  await c.app.database.db.deleteFrom('circles').where('id', '=', circleId).execute();
  await rejectsWith(internal.listCircleMemberships({ circleId }), Code.NotFound);
  await rejectsWith(
    internal.listCircleMemberships({ circleId: crypto.randomUUID() }),
    Code.NotFound,
  );
});

test('GetReportSnapshot answers a member, a former member, an invitee or anyone for a discoverable circle, and NotFound to others', async () => {
  const ana = await c.person();
  const former = await c.person();
  const invitee = await c.person();
  const stranger = await c.person();
  const circleId = await c.circle(ana, {
    name: 'Night owls',
    description: 'late talk',
    rules: [{ title: 'Be kind', body: 'always' }],
  });
  await c.join(circleId, former);
  await former.circles.leave({ circleId });
  await ana.circles.inviteMember({ circleId, userId: invitee.userId });

  for (const reporter of [ana, former, invitee]) {
    const { circle } = await internal.getReportSnapshot({
      reporterId: reporter.userId,
      id: circleId,
    });
    assert.equal(circle?.circleId, circleId);
    assert.equal(circle?.name, 'Night owls');
    assert.equal(circle?.description, 'late talk');
    assert.deepEqual(
      circle?.rules.map((r) => [r.title, r.body]),
      [['Be kind', 'always']],
    );
    assert.equal(circle?.ownerId, ana.userId);
    assert.ok(circle?.capturedAt);
  }
  await rejectsWith(
    internal.getReportSnapshot({ reporterId: stranger.userId, id: circleId }),
    Code.NotFound,
  );
  await rejectsWith(
    internal.getReportSnapshot({ reporterId: stranger.userId, id: crypto.randomUUID() }),
    Code.NotFound,
  );

  const open = await c.circle(ana, { joinRule: JoinRule.REQUEST, discoverable: true });
  const { circle } = await internal.getReportSnapshot({ reporterId: stranger.userId, id: open });
  assert.equal(circle?.discoverable, true);
});
