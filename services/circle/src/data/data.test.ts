import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import {
  CircleDeletionReason,
  CircleRole,
  HideReason,
  JoinRule,
} from '@kith/gen/kith/circle/v1/types_pb.js';
import type { Circle } from '@kith/gen/kith/circle/v1/types_pb.js';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { DataExportPartReady } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { exportBucketDir, filesystemBlobStorage, partObjectKey, sha256Hex } from '@kith/runtime';
import { rejectsWith, waitFor } from '@kith/testkit';
import { strFromU8, unzipSync } from 'fflate';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness, Person } from '../testing/circle-harness.js';

// Circle's part in the user service's data sagas (data_events.proto): user.erased ends every
// membership (owners hand over first, a circle nobody inherits is purged) and leaves nothing that
// names the user; user.export_requested writes the user's part to the export bucket.

let c: CircleHarness<AuthHarness>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(() => c?.stop());

type Payload = Envelope['payload'];

/** The events recorded after `before` events, once `done` is among them. */
async function eventsUntil(before: number, done: (p: Payload) => boolean): Promise<Payload[]> {
  let found: Payload[] = [];
  await waitFor(
    async () => {
      found = (await c.events()).slice(before);
      return found.some(done);
    },
    { timeoutMs: 15_000, intervalMs: 50, what: 'the consumer to finish' },
  );
  return found;
}

/** Publishes user.erased for `userId`; the events circle recorded while handling it. */
async function erase(userId: string): Promise<Payload[]> {
  const before = (await c.events()).length;
  await c.publishAs('user', { case: 'userErased', value: { userId } });
  // The harness publishes through circle's outbox: user.erased itself is not circle's.
  return (
    await eventsUntil(before, (p) => p.case === 'dataErasureCompleted' && p.value.userId === userId)
  ).filter((p) => p.case !== 'userErased');
}

/** Every row of the circle schema that holds `userId`, by table. */
async function rowsNaming(userId: string): Promise<Record<string, number>> {
  const db = c.app.database.db;
  const count = async (query: { execute(): Promise<unknown[]> }) => (await query.execute()).length;
  return {
    members: await count(db.selectFrom('members').select('user_id').where('user_id', '=', userId)),
    membership_versions: await count(
      db.selectFrom('membership_versions').select('user_id').where('user_id', '=', userId),
    ),
    circles_owned: await count(
      db.selectFrom('circles').select('id').where('owner_id', '=', userId),
    ),
    avatars: await count(
      db.selectFrom('circles').select('id').where('avatar_owner_id', '=', userId),
    ),
    invites: await count(
      db
        .selectFrom('invites')
        .select('id')
        .where((eb) => eb.or([eb('inviter_id', '=', userId), eb('invitee_id', '=', userId)])),
    ),
    join_requests: await count(
      db.selectFrom('join_requests').select('id').where('requester_id', '=', userId),
    ),
    bans: await count(
      db
        .selectFrom('bans')
        .select('user_id')
        .where((eb) => eb.or([eb('user_id', '=', userId), eb('banned_by', '=', userId)])),
    ),
    invite_links: await count(
      db.selectFrom('invite_links').select('id').where('created_by', '=', userId),
    ),
    audit_log: await count(
      db
        .selectFrom('audit_log')
        .select('id')
        .where((eb) => eb.or([eb('actor_id', '=', userId), eb('target_id', '=', userId)])),
    ),
    hidden_posts: await count(
      db
        .selectFrom('hidden_posts')
        .select('post_id')
        .where((eb) => eb.or([eb('author_id', '=', userId), eb('hidden_by', '=', userId)])),
    ),
    users: await count(db.selectFrom('users').select('user_id').where('user_id', '=', userId)),
    blocks: await count(
      db
        .selectFrom('blocks')
        .select('blocker_id')
        .where((eb) => eb.or([eb('blocker_id', '=', userId), eb('blocked_id', '=', userId)])),
    ),
  };
}

const NOTHING = {
  members: 0,
  membership_versions: 0,
  circles_owned: 0,
  avatars: 0,
  invites: 0,
  join_requests: 0,
  bans: 0,
  invite_links: 0,
  audit_log: 0,
  hidden_posts: 0,
  users: 0,
  blocks: 0,
};

/** The circle as a member sees it. */
async function circleOf(viewer: Person, circleId: string) {
  const { view } = await viewer.circles.getCircle({ circleId });
  assert.equal(view.case, 'circle');
  return view.value as Circle;
}

const roleOf = async (viewer: Person, circleId: string) =>
  (await circleOf(viewer, circleId)).membership?.role;

test('an erased member leaves every circle and nothing in circle names them any more', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const cat = await c.person();
  const home = await c.circle(ana);
  const open = await c.circle(cat, { joinRule: JoinRule.REQUEST, discoverable: true });
  const wary = await c.circle(cat);
  await c.join(home, ben, CircleRole.ADMIN);
  // Ben's traces: an invite he sent and one he received, a request, a link, a ban he issued
  // and a ban on him, a block, a post of his hidden and a post he hid.
  await ben.circles.inviteMember({ circleId: home, userId: cat.userId, message: 'come climb' });
  await cat.circles.inviteMember({ circleId: wary, userId: ben.userId });
  await ben.circles.requestToJoin({ circleId: open, message: 'hi' });
  await ben.circles.createInviteLink({ circleId: home });
  const dan = await c.person();
  await ben.circles.banMember({ circleId: home, userId: dan.userId, reason: 'spam' });
  const eve = await c.person();
  await c.join(wary, eve);
  await cat.circles.banMember({ circleId: open, userId: ben.userId, reason: 'rude' });
  const fay = await c.person();
  await c.join(home, fay);
  const fayPost = c.post(fay, [home]);
  await ben.circles.hidePost({ circleId: home, postId: fayPost, reason: HideReason.SPAM });
  const benPost = c.post(ben, [home]);
  await ana.circles.hidePost({ circleId: home, postId: benPost, reason: HideReason.OFF_TOPIC });
  await c.publishAs('user', {
    case: 'userBlocked',
    value: { blockerId: ben.userId, blockedId: eve.userId, version: 1n },
  });
  await waitFor(async () => (await rowsNaming(ben.userId)).blocks === 1, {
    timeoutMs: 10_000,
    intervalMs: 50,
    what: 'the block',
  });

  const events = await erase(ben.userId);

  assert.deepEqual(await rowsNaming(ben.userId), NOTHING);
  const left = events.filter((p) => p.case === 'circleMemberLeft');
  assert.deepEqual(
    left.map((p) => [p.value.circleId, p.value.userId]),
    [[home, ben.userId]],
  );
  const { members } = await ana.circles.listMembers({ circleId: home });
  assert.deepEqual(
    members.map((m) => m.user?.userId),
    [ana.userId, fay.userId],
  );
  // The ban he issued still keeps dan out; it no longer says who issued it.
  const { bans } = await ana.circles.listBans({ circleId: home });
  assert.deepEqual(
    bans.map((b) => [b.user?.userId, b.reason, b.bannedByUserId]),
    [[dan.userId, 'spam', '']],
  );
  await rejectsWith(
    ana.circles.inviteMember({ circleId: home, userId: dan.userId }),
    Code.FailedPrecondition,
  );
  // The post he hid stays hidden without saying who hid it; the hide of his post is gone
  // (post deletes his posts).
  const { hiddenPosts } = await ana.circles.listHiddenPosts({ circleId: home });
  assert.deepEqual(
    hiddenPosts.map((h) => [h.postId, h.author?.userId, h.hiddenBy]),
    [[fayPost, fay.userId, undefined]],
  );
  // The circle's audit log keeps what happened, without naming him.
  const { entries } = await ana.circles.listCircleAuditLog({ circleId: home });
  assert.ok(entries.length > 0);
  const text = JSON.stringify(entries, (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
  assert.ok(!text.includes(ben.userId), 'the audit log still names the erased user');
  const acknowledged = events.filter((p) => p.case === 'dataErasureCompleted');
  assert.deepEqual(
    acknowledged.map((p) => [p.value.userId, p.value.service]),
    [[ben.userId, KithService.CIRCLE]],
  );
});

test("an erased owner's circle passes to the longest-serving admin, not the older member, in TransferOwnership's order of events", async () => {
  const ana = await c.person();
  const oldMember = await c.person();
  const admin = await c.person();
  const youngerAdmin = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, oldMember);
  c.h.clock.advance(1000);
  await c.join(circleId, admin, CircleRole.ADMIN);
  c.h.clock.advance(1000);
  await c.join(circleId, youngerAdmin, CircleRole.ADMIN);

  const events = await erase(ana.userId);

  const ofCircle = events.filter(
    (p) => 'circleId' in p.value! && (p.value as { circleId: string }).circleId === circleId,
  );
  assert.deepEqual(
    ofCircle.map((p) => p.case),
    ['circleRoleChanged', 'circleRoleChanged', 'circleUpdated', 'circleMemberLeft'],
  );
  const [stepDown, stepUp, updated, left] = ofCircle;
  assert.ok(stepDown?.case === 'circleRoleChanged' && stepUp?.case === 'circleRoleChanged');
  assert.deepEqual(
    [stepDown.value.userId, stepDown.value.oldRole, stepDown.value.newRole],
    [ana.userId, CircleRole.OWNER, CircleRole.ADMIN],
  );
  assert.deepEqual(
    [stepUp.value.userId, stepUp.value.oldRole, stepUp.value.newRole],
    [admin.userId, CircleRole.ADMIN, CircleRole.OWNER],
  );
  assert.ok(updated?.case === 'circleUpdated');
  assert.equal(updated.value.ownerId, admin.userId);
  assert.deepEqual(updated.value.changedFields?.paths, ['owner_id']);
  assert.ok(left?.case === 'circleMemberLeft');
  assert.equal(left.value.userId, ana.userId);
  // Each membership's version grows: the step down, then the leave.
  assert.ok(left.value.version > stepDown.value.version);

  assert.equal(await roleOf(admin, circleId), CircleRole.OWNER);
  assert.equal(await roleOf(youngerAdmin, circleId), CircleRole.ADMIN);
  assert.equal(await roleOf(oldMember, circleId), CircleRole.MEMBER);
  const { members } = await admin.circles.listMembers({ circleId });
  assert.equal(members.length, 3);
  assert.equal((await circleOf(admin, circleId)).memberCount, 3);
});

test("with no admin, an erased owner's circle passes to the longest-serving member", async () => {
  const ana = await c.person();
  const first = await c.person();
  const second = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, first);
  c.h.clock.advance(1000);
  await c.join(circleId, second);

  await erase(ana.userId);

  assert.equal(await roleOf(first, circleId), CircleRole.OWNER);
  assert.equal(await roleOf(second, circleId), CircleRole.MEMBER);
  await first.circles.leave({ circleId }).catch(() => undefined);
  assert.deepEqual(await rowsNaming(ana.userId), NOTHING);
});

test("a circle nobody else belongs to is deleted (OWNER_ERASED) and purged at once; its avatar's hold is released", async () => {
  const ana = await c.person();
  const mediaId = crypto.randomUUID();
  c.media.owners.set(mediaId, ana.userId);
  const circleId = await c.circle(ana, { avatarMediaId: mediaId });
  const deleted = await c.circle(ana);
  await ana.circles.deleteCircle({ circleId: deleted });

  const events = await erase(ana.userId);

  const lifecycle = events
    .filter((p) => p.case === 'circleDeleted' || p.case === 'circlePurged')
    .map((p) => [p.case, p.value.circleId]);
  // The live circle is deleted, then purged; the one already deleted is purged.
  assert.deepEqual(
    lifecycle.sort(),
    [
      ['circleDeleted', circleId],
      ['circlePurged', circleId],
      ['circlePurged', deleted],
    ].sort(),
  );
  const gone = events.find((p) => p.case === 'circleDeleted');
  assert.ok(gone?.case === 'circleDeleted');
  assert.equal(gone.value.reason, CircleDeletionReason.OWNER_ERASED);
  assert.equal(gone.value.deletedByUserId, '');
  const purged = events.find((p) => p.case === 'circlePurged' && p.value.circleId === circleId);
  assert.ok(purged?.case === 'circlePurged');
  assert.equal(purged.value.version, gone.value.version + 1n);

  const left = await c.app.database.db
    .selectFrom('circles')
    .select('id')
    .where('id', 'in', [circleId, deleted])
    .execute();
  assert.deepEqual(left, []);
  assert.deepEqual(await rowsNaming(ana.userId), NOTHING);
  await waitFor(async () => c.media.detached.some((d) => d.mediaId === mediaId), {
    timeoutMs: 5000,
    intervalMs: 20,
    what: 'the avatar hold to be released',
  });
  assert.deepEqual(
    c.media.detached.filter((d) => d.mediaId === mediaId).map((d) => [d.ownerUserId, d.refId]),
    [[ana.userId, circleId]],
  );
});

test("an avatar an erased admin uploaded comes down from the circle they did not own, released under the uploader's hold", async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, ben, CircleRole.ADMIN);
  const mediaId = crypto.randomUUID();
  c.media.owners.set(mediaId, ben.userId);
  await ben.circles.updateCircle({
    circleId,
    avatarMediaId: mediaId,
    updateMask: { paths: ['avatar_media_id'] },
  });

  const events = await erase(ben.userId);

  const circle = await circleOf(ana, circleId);
  assert.equal(circle.avatarMediaId, '');
  assert.equal(circle.avatarUrl, '');
  const updated = events.filter((p) => p.case === 'circleUpdated');
  assert.ok(updated[0]?.case === 'circleUpdated');
  assert.deepEqual(updated[0].value.changedFields?.paths, ['avatar_media_id']);
  await waitFor(async () => c.media.detached.some((d) => d.mediaId === mediaId), {
    timeoutMs: 5000,
    intervalMs: 20,
    what: 'the avatar hold to be released',
  });
  assert.deepEqual(
    c.media.detached.filter((d) => d.mediaId === mediaId).map((d) => d.ownerUserId),
    [ben.userId],
  );
});

test('a redelivered user.erased changes nothing more and acknowledges again', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, ben);
  await erase(ana.userId);
  const { outbox: _before, ...rows } = (await c.snapshot()) as Record<string, unknown>;

  const again = await erase(ana.userId);

  const { outbox: _after, ...rowsAfter } = (await c.snapshot()) as Record<string, unknown>;
  assert.deepEqual(rowsAfter, rows);
  assert.deepEqual(
    again.map((p) => p.case),
    ['dataErasureCompleted'],
  );
  assert.equal(await roleOf(ben, circleId), CircleRole.OWNER);
});

/** Publishes user.export_requested; circle's part once announced, and its files. */
async function exportOf(userId: string) {
  const dataExportId = crypto.randomUUID();
  const before = (await c.events()).length;
  await c.publishAs('user', { case: 'userExportRequested', value: { userId, dataExportId } });
  const events = await eventsUntil(
    before,
    (p) => p.case === 'dataExportPartReady' && p.value.dataExportId === dataExportId,
  );
  const part = events.find((p) => p.case === 'dataExportPartReady')!.value as DataExportPartReady;
  const bucket = filesystemBlobStorage(exportBucketDir(c.app.ctx));
  const zip = await bucket.get(part.objectKey);
  assert.ok(zip, 'the part is in the export bucket');
  assert.equal(part.objectKey, partObjectKey(dataExportId, KithService.CIRCLE));
  assert.equal(part.sha256, sha256Hex(zip));
  assert.equal(part.sizeBytes, BigInt(zip.length));
  assert.equal(part.userId, userId);
  assert.equal(part.service, KithService.CIRCLE);
  const files = unzipSync(zip);
  const json = (name: string) => JSON.parse(strFromU8(files[`${name}.json`]!)) as unknown;
  return {
    files,
    json,
    text: Object.values(files)
      .map((f) => strFromU8(f))
      .join('\n'),
  };
}

test("circle's export part holds the user's memberships, circles, invites, requests, bans, links, hidden posts and audit entries, and names nobody else", async () => {
  const ana = await c.person();
  const ben = await c.person();
  const cat = await c.person();
  const home = await c.circle(ana, { name: 'Home base', description: 'our place' });
  const open = await c.circle(cat, { joinRule: JoinRule.REQUEST, discoverable: true });
  await c.join(home, ben, CircleRole.ADMIN);
  await ana.circles.inviteMember({ circleId: home, userId: cat.userId, message: 'join us' });
  await ana.circles.requestToJoin({ circleId: open, message: 'let me in' });
  const { inviteLink } = await ana.circles.createInviteLink({ circleId: home, maxUses: 3 });
  const banned = await c.circle(cat);
  await cat.circles.banMember({ circleId: banned, userId: ana.userId, reason: 'noisy' });
  await ana.circles.setMemberSafetyRole({
    circleId: home,
    safety: { responder: true },
    updateMask: { paths: ['responder'] },
  });
  // A post of ana's hidden in cat's circle: the hide outlives her membership.
  const crag = await c.circle(cat, { name: 'Crag' });
  await c.join(crag, ana);
  const anaPost = c.post(ana, [crag]);
  await cat.circles.hidePost({
    circleId: crag,
    postId: anaPost,
    reason: HideReason.OFF_TOPIC,
    note: 'Rides only',
  });
  await cat.circles.removeMember({ circleId: crag, userId: ana.userId });

  const { files, json, text } = await exportOf(ana.userId);

  assert.deepEqual(Object.keys(files).sort(), [
    'audit_log.json',
    'bans.json',
    'circles_owned.json',
    'hidden_posts.json',
    'invite_links.json',
    'invites.json',
    'join_requests.json',
    'memberships.json',
  ]);
  const memberships = json('memberships') as Record<string, unknown>[];
  assert.deepEqual(
    memberships.map((m) => [m.circle_id, m.circle_name, m.role]),
    [[home, 'Home base', 'owner']],
  );
  assert.equal((memberships[0]!.safety as Record<string, unknown>).responder, true);
  const owned = json('circles_owned') as Record<string, unknown>[];
  assert.deepEqual(
    owned.map((o) => [o.id, o.name, o.description]),
    [[home, 'Home base', 'our place']],
  );
  const invites = json('invites') as Record<string, unknown>[];
  assert.deepEqual(
    invites.map((i) => [i.circle_id, i.direction, i.message, i.status]),
    [[home, 'sent', 'join us', 'pending']],
  );
  const requests = json('join_requests') as Record<string, unknown>[];
  assert.deepEqual(
    requests.map((r) => [r.circle_id, r.message, r.status]),
    [[open, 'let me in', 'pending']],
  );
  const bans = json('bans') as Record<string, unknown>[];
  assert.deepEqual(
    bans.map((b) => [b.circle_id, b.reason]),
    [[banned, 'noisy']],
  );
  const links = json('invite_links') as Record<string, unknown>[];
  assert.deepEqual(
    links.map((l) => [l.id, l.max_uses]),
    [[inviteLink!.inviteLinkId, 3]],
  );
  const hidden = json('hidden_posts') as Record<string, unknown>[];
  assert.deepEqual(
    hidden.map((h) => [h.circle_id, h.circle_name, h.post_id, h.reason, h.note]),
    [[crag, 'Crag', anaPost, 'off_topic', 'Rides only']],
  );
  const audit = json('audit_log') as Record<string, unknown>[];
  assert.ok(audit.some((e) => e.action === 'circle_created' && e.actor === 'self'));
  assert.ok(
    audit.some(
      (e) => e.action === 'post_hidden' && e.actor === 'another_member' && e.target === 'self',
    ),
  );
  assert.ok(audit.some((e) => e.action === 'member_banned' && e.target === 'self'));
  assert.ok(audit.every((e) => ['self', 'another_member', 'system'].includes(e.actor as string)));

  // Nobody else, and no link code.
  for (const foreign of [ben.userId, cat.userId, ben.username, cat.username, inviteLink!.code]) {
    assert.ok(!text.includes(foreign), `${foreign} is in ana's export`);
  }
});

test('a user circle does not know gets an empty part, announced all the same', async () => {
  const { json } = await exportOf(crypto.randomUUID());
  for (const category of [
    'memberships',
    'circles_owned',
    'invites',
    'join_requests',
    'bans',
    'invite_links',
    'hidden_posts',
    'audit_log',
  ]) {
    assert.deepEqual(json(category), [], category);
  }
});
