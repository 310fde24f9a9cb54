import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import {
  AuditAction,
  CircleDeletionReason,
  CircleModerationState,
  CircleRole,
  JoinRule,
  JoinVia,
} from '@kith/gen/kith/circle/v1/types_pb.js';
import { rejectsWith, violatedFields } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness } from '../testing/circle-harness.js';
import { purgeExpiredCircles } from './purge.js';
import { circleClients } from './internal-clients.js';

let c: CircleHarness<AuthHarness>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(() => c?.stop());

const DAY = 24 * 60 * 60 * 1000;

test('creating a circle makes the caller its OWNER and publishes circle.created, then their member_joined', async () => {
  const ana = await c.person();
  const before = (await c.events()).length;
  const { circle } = await ana.circles.createCircle({
    name: 'Night shift nurses',
    description: 'Rides home after 2 am.',
    joinRule: JoinRule.REQUEST,
    discoverable: true,
    rules: [{ title: 'Be kind', body: 'No advice unless asked.' }],
  });
  assert.ok(circle);
  assert.equal(circle.ownerId, ana.userId);
  assert.equal(circle.memberCount, 1);
  assert.equal(circle.memberCap, 50, 'a cap of 0 means 50');
  assert.equal(circle.version, 1n);
  assert.equal(circle.rulesVersion, 1);
  assert.deepEqual(
    circle.rules.map((r) => r.title),
    ['Be kind'],
  );
  assert.equal(circle.membership?.role, CircleRole.OWNER);
  assert.equal(circle.membership?.user?.username, ana.username);
  assert.equal(circle.membership?.version, 1n);
  assert.equal(circle.moderationState, CircleModerationState.NONE);

  const events = (await c.events()).slice(before);
  assert.deepEqual(
    events.map((e) => e.case),
    ['circleCreated', 'circleMemberJoined'],
  );
  const joined = events[1]!.value as { joinedVia: JoinVia; role: CircleRole; version: bigint };
  assert.equal(joined.joinedVia, JoinVia.CREATED);
  assert.equal(joined.role, CircleRole.OWNER);
  assert.equal(joined.version, 1n);
  const checked = c.checks.at(-1)!;
  assert.deepEqual(
    checked.fields.map((f) => f.field),
    ['name', 'description'],
  );
});

test('a name or description a content rule rejects is refused with a violation on that field, and nothing is stored', async () => {
  const ana = await c.person();
  const before = await c.snapshot();
  const err = await rejectsWith(
    ana.circles.createCircle({
      name: 'forbidden club',
      description: 'fine',
      joinRule: JoinRule.INVITE_ONLY,
    }),
    Code.InvalidArgument,
  );
  assert.deepEqual(violatedFields(err), ['name']);
  const control = await rejectsWith(
    ana.circles.createCircle({ name: 'two\nlines', joinRule: JoinRule.INVITE_ONLY }),
    Code.InvalidArgument,
  );
  assert.deepEqual(violatedFields(control), ['name']);
  assert.deepEqual(await c.snapshot(), before);
});

test("an avatar must be the creator's own upload; the circle holds it with post", async () => {
  const ana = await c.person();
  const ben = await c.person();
  const mediaId = '0190f2f6-6f3c-7cc0-8b5c-7a00000000c1';
  c.media.owners.set(mediaId, ana.userId);
  const err = await rejectsWith(
    ben.circles.createCircle({
      name: 'Not mine',
      joinRule: JoinRule.INVITE_ONLY,
      avatarMediaId: mediaId,
    }),
    Code.InvalidArgument,
  );
  assert.deepEqual(violatedFields(err), ['avatar_media_id']);
  const { circle } = await ana.circles.createCircle({
    name: 'Mine',
    joinRule: JoinRule.INVITE_ONLY,
    avatarMediaId: mediaId,
  });
  assert.equal(circle?.avatarUrl, `https://cdn.kith.test/${mediaId}.webp`);
  assert.equal(c.media.attached.at(-1)?.refId, circle?.circleId);
});

test('a non-member gets NotFound for a private circle and the preview of a discoverable one, unless a block stands between them', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const hidden = await c.circle(ana);
  const open = await c.circle(ana, { discoverable: true, joinRule: JoinRule.REQUEST });
  await rejectsWith(ben.circles.getCircle({ circleId: hidden }), Code.NotFound);
  const { view } = await ben.circles.getCircle({ circleId: open });
  assert.equal(view.case, 'preview');
  assert.equal(view.value?.memberCount, 1);
  assert.equal(view.value?.member, false);
  // Ana blocks Ben (as user.blocked projects it): her circle is gone for him.
  await c.app.database.db
    .insertInto('blocks')
    .values({ blocker_id: ana.userId, blocked_id: ben.userId, active: true, version: '1' })
    .execute();
  await rejectsWith(ben.circles.getCircle({ circleId: open }), Code.NotFound);
});

test('UpdateCircle: the masked fields, by an OWNER or ADMIN; a MEMBER is refused; no change, no event', async () => {
  const ana = await c.person();
  const admin = await c.person();
  const member = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, admin, CircleRole.ADMIN);
  await c.join(circleId, member);
  const before = await c.snapshot();
  await rejectsWith(
    member.circles.updateCircle({ circleId, name: 'Mine now', updateMask: { paths: ['name'] } }),
    Code.PermissionDenied,
  );
  assert.deepEqual(await c.snapshot(), before);

  const { circle } = await admin.circles.updateCircle({
    circleId,
    name: 'Climbers',
    memberCap: 2,
    description: 'ignored: not in the mask',
    updateMask: { paths: ['name', 'member_cap'] },
  });
  assert.equal(circle?.name, 'Climbers');
  assert.equal(circle?.description, '');
  assert.equal(circle?.memberCap, 2, 'a cap below the member count removes nobody');
  assert.equal(circle?.memberCount, 3);
  assert.equal(circle?.version, 2n);
  const updated = (await c.events()).at(-1)!;
  assert.equal(updated.case, 'circleUpdated');
  assert.deepEqual(updated.value.changedFields?.paths, ['name', 'member_cap']);

  const events = (await c.events()).length;
  const same = await admin.circles.updateCircle({
    circleId,
    name: 'Climbers',
    updateMask: { paths: ['name'] },
  });
  assert.equal(same.circle?.version, 2n);
  assert.equal((await c.events()).length, events);
});

test('SetCircleRules replaces the rules from the version they were edited on; a stale one answers Aborted', async () => {
  const ana = await c.person();
  const circleId = await c.circle(ana, { rules: [{ title: 'One', body: '' }] });
  const first = await ana.circles.setCircleRules({
    circleId,
    baseVersion: 1,
    rules: [
      { title: 'One', body: '' },
      { title: 'Two', body: 'more' },
    ],
  });
  assert.equal(first.rulesVersion, 2);
  const before = await c.snapshot();
  await rejectsWith(
    ana.circles.setCircleRules({ circleId, baseVersion: 1, rules: [] }),
    Code.Aborted,
  );
  assert.deepEqual(await c.snapshot(), before);
  const { view } = await ana.circles.getCircle({ circleId });
  assert.equal(view.case, 'circle');
  assert.deepEqual(
    view.value?.rules.map((r) => r.title),
    ['One', 'Two'],
  );
});

test('a deleted circle disappears for its members, stays with its OWNER until purge_at, and comes back whole', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, ben, CircleRole.ADMIN);
  await rejectsWith(ben.circles.deleteCircle({ circleId }), Code.PermissionDenied);

  const { circle } = await ana.circles.deleteCircle({ circleId });
  assert.ok(circle?.deletedAt);
  assert.equal(
    Number(circle.purgeAt!.seconds) * 1000,
    Math.floor((c.h.clock.now().getTime() + 30 * DAY) / 1000) * 1000,
  );
  const deleted = (await c.events()).at(-1)!;
  assert.equal(deleted.case, 'circleDeleted');
  assert.equal(deleted.value.reason, CircleDeletionReason.OWNER);

  await rejectsWith(ben.circles.getCircle({ circleId }), Code.NotFound);
  await rejectsWith(ben.circles.restoreCircle({ circleId }), Code.NotFound);
  assert.deepEqual((await ben.circles.listMyCircles({})).circles, []);
  const { view } = await ana.circles.getCircle({ circleId });
  assert.ok(view.case === 'circle' && view.value.deletedAt);
  await rejectsWith(
    ana.circles.updateCircle({ circleId, name: 'x', updateMask: { paths: ['name'] } }),
    Code.FailedPrecondition,
  );
  assert.deepEqual((await ana.circles.listMyCircles({})).circles, []);
  assert.deepEqual(
    (await ana.circles.listMyCircles({ includeDeleted: true })).circles.map((x) => x.circleId),
    [circleId],
  );

  const restored = await ana.circles.restoreCircle({ circleId });
  assert.equal(restored.circle?.deletedAt, undefined);
  assert.equal(restored.circle?.memberCount, 2);
  await rejectsWith(ana.circles.restoreCircle({ circleId }), Code.FailedPrecondition);
  assert.equal((await ben.circles.getCircle({ circleId })).view.case, 'circle');
});

test('after 30 days a deleted circle is purged with everything in it (circle.purged)', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, ben);
  await ana.circles.deleteCircle({ circleId });
  const clients = circleClients(c.app);
  const stored = () =>
    c.app.database.db.selectFrom('circles').select('id').where('id', '=', circleId).execute();
  c.h.clock.advance(29 * DAY);
  await purgeExpiredCircles(c.app, clients);
  assert.equal((await stored()).length, 1, 'still restorable on day 29');
  c.h.clock.advance(1 * DAY + 1000);
  assert.ok((await purgeExpiredCircles(c.app, clients)) >= 1);
  const purged = (await c.events()).filter(
    (e) => e.case === 'circlePurged' && e.value.circleId === circleId,
  );
  assert.equal(purged.length, 1);
  for (const table of ['circles', 'members', 'membership_versions', 'audit_log'] as const) {
    const column = table === 'circles' ? 'id' : 'circle_id';
    const rows = await c.app.database.db
      .selectFrom(table)
      .select(column)
      .where(column, '=', circleId)
      .execute();
    assert.deepEqual(rows, [], table);
  }
});

test('ListMyCircles pages through the caller’s circles, most recently active first, without rules', async () => {
  const ana = await c.person();
  const ids: string[] = [];
  for (const name of ['One', 'Two', 'Three']) {
    ids.push(await c.circle(ana, { name, rules: [{ title: 'r', body: '' }] }));
    c.h.clock.advance(1000);
  }
  const first = await ana.circles.listMyCircles({ pageSize: 2 });
  assert.deepEqual(
    first.circles.map((x) => x.name),
    ['Three', 'Two'],
  );
  assert.ok(first.circles.every((x) => x.rules.length === 0 && x.rulesVersion === 1));
  assert.ok(first.nextPageToken);
  const second = await ana.circles.listMyCircles({ pageSize: 2, pageToken: first.nextPageToken });
  assert.deepEqual(
    second.circles.map((x) => x.name),
    ['One'],
  );
  assert.equal(second.nextPageToken, '');
  // A token is bound to its listing: another caller's list refuses it.
  const ben = await c.person();
  await rejectsWith(
    ben.circles.listMyCircles({ pageSize: 2, pageToken: first.nextPageToken }),
    Code.InvalidArgument,
  );
});

test('the audit log records creation, changes and deletion for owners and admins, newest first', async () => {
  const ana = await c.person();
  const member = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, member);
  await ana.circles.updateCircle({
    circleId,
    discoverable: true,
    updateMask: { paths: ['discoverable'] },
  });
  await ana.circles.setCircleRules({ circleId, baseVersion: 1, rules: [{ title: 'x', body: '' }] });
  await rejectsWith(member.circles.listCircleAuditLog({ circleId }), Code.PermissionDenied);
  const { entries } = await ana.circles.listCircleAuditLog({ circleId });
  assert.deepEqual(
    entries.map((e) => e.action),
    [AuditAction.RULES_CHANGED, AuditAction.CIRCLE_UPDATED, AuditAction.CIRCLE_CREATED],
  );
  assert.deepEqual(entries[1]!.changedFields?.paths, ['discoverable']);
  assert.equal(entries[0]!.rulesVersion, 2);
  assert.equal(entries[2]!.actor?.username, ana.username);
  const onlyRules = await ana.circles.listCircleAuditLog({
    circleId,
    actions: [AuditAction.RULES_CHANGED],
  });
  assert.equal(onlyRules.entries.length, 1);
});
