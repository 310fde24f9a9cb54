import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { AuditAction, CircleRole, HideReason } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { rejectsWith } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness, Person } from '../testing/circle-harness.js';

// Delegated moderation of posts: an OWNER or ADMIN hides a post addressed to their circle (post's
// GetCirclePosts, here the harness's stand-in, says which are), unhides it, and lists the hides.
// Every hide and unhide is an audit entry and a circle.post_hidden / post_unhidden event with
// the hide's next version; a refusal leaves the circle tables and the outbox as they were.

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

/** The hide events of `circleId` recorded after the first `from` events. */
async function hideEvents(circleId: string, from = 0) {
  return (await c.events())
    .slice(from)
    .filter(
      (p): p is Extract<Payload, { case: 'circlePostHidden' | 'circlePostUnhidden' }> =>
        (p.case === 'circlePostHidden' || p.case === 'circlePostUnhidden') &&
        p.value.circleId === circleId,
    );
}

/** A circle of a fresh OWNER with a fresh ADMIN and MEMBER. */
async function crew(): Promise<{ circleId: string; owner: Person; admin: Person; member: Person }> {
  const owner = await c.person();
  const admin = await c.person();
  const member = await c.person();
  const circleId = await c.circle(owner);
  await c.join(circleId, admin, CircleRole.ADMIN);
  await c.join(circleId, member);
  return { circleId, owner, admin, member };
}

test("an owner hides a member's post with a reason and note, lists it, and unhides it: events, audit entries, versions", async () => {
  const { circleId, owner, member } = await crew();
  const postId = c.post(member, [circleId]);
  const asked = c.posts.asked.length;

  const { hiddenPost } = await owner.circles.hidePost({
    circleId,
    postId,
    reason: HideReason.OFF_TOPIC,
    note: 'Rides only, please',
  });
  assert.equal(hiddenPost?.circleId, circleId);
  assert.equal(hiddenPost?.postId, postId);
  assert.equal(hiddenPost?.author?.userId, member.userId);
  assert.equal(hiddenPost?.author?.username, member.username);
  assert.equal(hiddenPost?.hiddenBy?.userId, owner.userId);
  assert.equal(hiddenPost?.reason, HideReason.OFF_TOPIC);
  assert.equal(hiddenPost?.note, 'Rides only, please');
  assert.equal(timestampMs(hiddenPost!.hiddenAt!), c.h.clock.now().getTime());
  // Post was asked once, about this post in this circle.
  assert.deepEqual(
    c.posts.asked.slice(asked).map((r) => [r.circleId, r.postIds]),
    [[circleId, [postId]]],
  );

  const [hidden] = await hideEvents(circleId);
  assert.equal(hidden?.case, 'circlePostHidden');
  assert.deepEqual(
    hidden.case === 'circlePostHidden' && {
      postId: hidden.value.postId,
      authorId: hidden.value.authorId,
      hiddenByUserId: hidden.value.hiddenByUserId,
      reason: hidden.value.reason,
      note: hidden.value.note,
      version: hidden.value.version,
    },
    {
      postId,
      authorId: member.userId,
      hiddenByUserId: owner.userId,
      reason: HideReason.OFF_TOPIC,
      note: 'Rides only, please',
      version: 1n,
    },
  );
  const { hiddenPosts } = await owner.circles.listHiddenPosts({ circleId });
  assert.deepEqual(hiddenPosts, [hiddenPost]);
  const [entry] = (await owner.circles.listCircleAuditLog({ circleId })).entries;
  assert.equal(entry?.action, AuditAction.POST_HIDDEN);
  assert.equal(entry?.actor?.userId, owner.userId);
  assert.equal(entry?.target?.userId, member.userId);
  assert.equal(entry?.postId, postId);
  assert.equal(entry?.hideReason, HideReason.OFF_TOPIC);
  assert.equal(entry?.reason, 'Rides only, please');

  await owner.circles.unhidePost({ circleId, postId });
  const events = await hideEvents(circleId);
  assert.equal(events.length, 2);
  const unhidden = events[1]!;
  assert.equal(unhidden.case, 'circlePostUnhidden');
  assert.deepEqual(
    unhidden.case === 'circlePostUnhidden' && [
      unhidden.value.postId,
      unhidden.value.authorId,
      unhidden.value.unhiddenByUserId,
      unhidden.value.version,
    ],
    [postId, member.userId, owner.userId, 2n],
  );
  assert.deepEqual((await owner.circles.listHiddenPosts({ circleId })).hiddenPosts, []);
  const [undone] = (await owner.circles.listCircleAuditLog({ circleId })).entries;
  assert.equal(undone?.action, AuditAction.POST_UNHIDDEN);
  assert.equal(undone?.actor?.userId, owner.userId);
  assert.equal(undone?.target?.userId, member.userId);
  assert.equal(undone?.postId, postId);
  assert.equal(undone?.hideReason, HideReason.OFF_TOPIC, 'the reason of the hide it ended');
  assert.equal(undone?.reason, '');
  assert.equal(c.posts.asked.length, asked + 1, 'an unhide does not ask post');

  // Hidden again after the unhide: a newer version than the unhide's.
  await owner.circles.hidePost({ circleId, postId, reason: HideReason.SPAM });
  const again = (await hideEvents(circleId)).at(-1)!;
  assert.equal(again.case, 'circlePostHidden');
  assert.equal(again.value.version, 3n);
});

test('hiding twice with the same reason and note is one hide; another reason or note replaces it as a new version; unhiding a post not hidden changes nothing', async () => {
  const { circleId, owner, admin, member } = await crew();
  const postId = c.post(member, [circleId]);
  const first = await admin.circles.hidePost({ circleId, postId, reason: HideReason.SPAM });
  const before = await c.snapshot();
  const second = await owner.circles.hidePost({ circleId, postId, reason: HideReason.SPAM });
  assert.deepEqual(second, first, 'the hide as it stands, still the admin’s');
  assert.deepEqual(await c.snapshot(), before);
  assert.equal((await hideEvents(circleId)).length, 1);

  c.h.clock.advance(1000);
  const { hiddenPost } = await owner.circles.hidePost({
    circleId,
    postId,
    reason: HideReason.OTHER,
    note: 'Take it to DMs',
  });
  assert.equal(hiddenPost?.reason, HideReason.OTHER);
  assert.equal(hiddenPost?.note, 'Take it to DMs');
  assert.equal(hiddenPost?.hiddenBy?.userId, owner.userId);
  const events = await hideEvents(circleId);
  assert.deepEqual(
    events.map((e) => [e.case, e.value.version]),
    [
      ['circlePostHidden', 1n],
      ['circlePostHidden', 2n],
    ],
  );
  assert.deepEqual(
    (await owner.circles.listHiddenPosts({ circleId })).hiddenPosts.map((h) => [
      h.postId,
      h.reason,
      h.note,
    ]),
    [[postId, HideReason.OTHER, 'Take it to DMs']],
  );
  const hides = await owner.circles.listCircleAuditLog({
    circleId,
    actions: [AuditAction.POST_HIDDEN],
  });
  assert.equal(hides.entries.length, 2);

  await owner.circles.unhidePost({ circleId, postId });
  const unhidden = await c.snapshot();
  await owner.circles.unhidePost({ circleId, postId });
  await admin.circles.unhidePost({ circleId, postId: c.post(member, [circleId]) });
  await admin.circles.unhidePost({ circleId, postId: randomUUID() });
  assert.deepEqual(await c.snapshot(), unhidden);

  // OTHER needs a note (the contract's rule).
  await rejectsWith(
    owner.circles.hidePost({ circleId, postId, reason: HideReason.OTHER }),
    Code.InvalidArgument,
  );
});

test("an admin hides a member's and a former member's posts, never the owner's, another admin's or their own; the owner hides any post", async () => {
  const { circleId, owner, admin, member } = await crew();
  const admin2 = await c.person();
  const gone = await c.person();
  await c.join(circleId, admin2, CircleRole.ADMIN);
  await c.join(circleId, gone);
  await owner.circles.removeMember({ circleId, userId: gone.userId });
  const byOwner = c.post(owner, [circleId]);
  const byAdmin2 = c.post(admin2, [circleId]);
  const byAdmin = c.post(admin, [circleId]);
  const byMember = c.post(member, [circleId]);
  const byGone = c.post(gone, [circleId]);

  const before = await c.snapshot();
  for (const postId of [byOwner, byAdmin2, byAdmin]) {
    await rejectsWith(
      admin.circles.hidePost({ circleId, postId, reason: HideReason.SPAM }),
      Code.PermissionDenied,
    );
  }
  assert.deepEqual(await c.snapshot(), before);

  await admin.circles.hidePost({ circleId, postId: byMember, reason: HideReason.SPAM });
  await admin.circles.hidePost({ circleId, postId: byGone, reason: HideReason.ABUSE });
  for (const postId of [byOwner, byAdmin2, byAdmin]) {
    await owner.circles.hidePost({ circleId, postId, reason: HideReason.OFF_TOPIC });
  }
  // Unhiding takes what hiding takes.
  const hidden = await c.snapshot();
  await rejectsWith(
    admin.circles.unhidePost({ circleId, postId: byAdmin2 }),
    Code.PermissionDenied,
  );
  await rejectsWith(admin.circles.unhidePost({ circleId, postId: byOwner }), Code.PermissionDenied);
  assert.deepEqual(await c.snapshot(), hidden);
  await admin.circles.unhidePost({ circleId, postId: byMember });
  await owner.circles.unhidePost({ circleId, postId: byAdmin2 });

  // A member promoted since their post was hidden: only the owner can unhide it now.
  await owner.circles.setMemberRole({ circleId, userId: member.userId, role: CircleRole.ADMIN });
  await owner.circles.hidePost({ circleId, postId: byMember, reason: HideReason.SPAM });
  await rejectsWith(
    admin.circles.unhidePost({ circleId, postId: byMember }),
    Code.PermissionDenied,
  );
  assert.deepEqual(
    (await owner.circles.listHiddenPosts({ circleId })).hiddenPosts.map((h) => h.postId).sort(),
    [byMember, byGone, byOwner, byAdmin].sort(),
  );
});

test('a member is refused (PermissionDenied) and an outsider learns nothing (NotFound); nothing changes and post is not asked', async () => {
  const { circleId, owner, member } = await crew();
  const outsider = await c.person();
  const postId = c.post(member, [circleId]);
  const hiddenId = c.post(member, [circleId]);
  await owner.circles.hidePost({ circleId, postId: hiddenId, reason: HideReason.SPAM });
  const before = await c.snapshot();
  const asked = c.posts.asked.length;
  for (const [who, code] of [
    [member, Code.PermissionDenied],
    [outsider, Code.NotFound],
  ] as const) {
    await rejectsWith(who.circles.hidePost({ circleId, postId, reason: HideReason.SPAM }), code);
    await rejectsWith(who.circles.unhidePost({ circleId, postId: hiddenId }), code);
    await rejectsWith(who.circles.listHiddenPosts({ circleId }), code);
  }
  // A circle that does not exist answers as the outsider's does.
  await rejectsWith(
    owner.circles.hidePost({ circleId: randomUUID(), postId, reason: HideReason.SPAM }),
    Code.NotFound,
  );
  assert.deepEqual(await c.snapshot(), before);
  assert.equal(c.posts.asked.length, asked);

  // A deleted circle: its OWNER is told to restore it first, everyone else learns nothing.
  await owner.circles.deleteCircle({ circleId });
  await rejectsWith(
    owner.circles.hidePost({ circleId, postId, reason: HideReason.SPAM }),
    Code.FailedPrecondition,
  );
  await rejectsWith(owner.circles.listHiddenPosts({ circleId }), Code.FailedPrecondition);
  await rejectsWith(member.circles.listHiddenPosts({ circleId }), Code.NotFound);
});

test('a post not addressed to the circle answers NotFound; a reply in a thread addressed to it can be hidden', async () => {
  const { circleId, owner, member } = await crew();
  const elsewhere = await c.circle(member);
  const other = c.post(member, [elsewhere]);
  const nowhere = c.post(member, []);
  const before = await c.snapshot();
  for (const postId of [other, nowhere, randomUUID()]) {
    await rejectsWith(
      owner.circles.hidePost({ circleId, postId, reason: HideReason.SPAM }),
      Code.NotFound,
    );
  }
  assert.deepEqual(await c.snapshot(), before);

  // Addressed to both: hidden in this circle only.
  const both = c.post(member, [elsewhere, circleId]);
  const root = c.post(owner, [circleId]);
  const reply = c.post(member, [circleId], { rootPostId: root });
  await owner.circles.hidePost({ circleId, postId: both, reason: HideReason.OFF_TOPIC });
  await owner.circles.hidePost({ circleId, postId: reply, reason: HideReason.SPAM });
  assert.deepEqual(
    (await hideEvents(circleId)).map((e) => [e.value.postId, e.value.authorId]),
    [
      [both, member.userId],
      [reply, member.userId],
    ],
  );
  assert.deepEqual(await hideEvents(elsewhere), []);
});

test('HidePost answers Unavailable and changes nothing while post cannot answer', async () => {
  const { circleId, owner, member } = await crew();
  const postId = c.post(member, [circleId]);
  const before = await c.snapshot();
  c.posts.failWith = Code.Unavailable;
  try {
    await rejectsWith(
      owner.circles.hidePost({ circleId, postId, reason: HideReason.SPAM }),
      Code.Unavailable,
    );
    c.posts.failWith = Code.Internal;
    await rejectsWith(
      owner.circles.hidePost({ circleId, postId, reason: HideReason.SPAM }),
      Code.Unavailable,
    );
  } finally {
    c.posts.failWith = undefined;
  }
  assert.deepEqual(await c.snapshot(), before);
  await owner.circles.hidePost({ circleId, postId, reason: HideReason.SPAM });
});

test('ListHiddenPosts pages newest hide first with a token bound to its circle', async () => {
  const { circleId, owner, admin, member } = await crew();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const postId = c.post(member, [circleId]);
    ids.push(postId);
    await admin.circles.hidePost({ circleId, postId, reason: HideReason.SPAM, note: `#${i}` });
    c.h.clock.advance(1000);
  }
  // Two hides in the same millisecond come in post id order, newest id first.
  const [x, y] = [c.post(member, [circleId]), c.post(member, [circleId])];
  await owner.circles.hidePost({ circleId, postId: x, reason: HideReason.SPAM });
  await owner.circles.hidePost({ circleId, postId: y, reason: HideReason.SPAM });
  await owner.circles.unhidePost({ circleId, postId: ids[2]! });
  const expected = [...[x, y].sort().reverse(), ids[4], ids[3], ids[1], ids[0]];

  const seen: string[] = [];
  let pageToken = '';
  let pages = 0;
  do {
    const page = await admin.circles.listHiddenPosts({ circleId, pageSize: 2, pageToken });
    assert.ok(page.hiddenPosts.length <= 2);
    seen.push(...page.hiddenPosts.map((h) => h.postId));
    pageToken = page.nextPageToken;
    pages += 1;
  } while (pageToken);
  assert.deepEqual(seen, expected);
  assert.equal(pages, 3);
  const all = await owner.circles.listHiddenPosts({ circleId });
  assert.deepEqual(
    all.hiddenPosts.map((h) => h.postId),
    expected,
  );
  assert.equal(all.nextPageToken, '');

  const first = await owner.circles.listHiddenPosts({ circleId, pageSize: 1 });
  const another = await c.circle(owner);
  await rejectsWith(
    owner.circles.listHiddenPosts({ circleId: another, pageToken: first.nextPageToken }),
    Code.InvalidArgument,
  );
});
