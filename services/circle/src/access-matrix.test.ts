import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code, createClient } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { CircleRole, HideReason, JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { rpc } from '@kith/runtime';
import { accessMatrix, accessRow, assertEveryIdMethodCovered } from '@kith/testkit';
import type { Answer } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../auth/src/testing/index.js';
import type { AuthHarness } from '../../auth/src/testing/index.js';
import { startCircleHarness } from './testing/circle-harness.js';
import type { CircleHarness, Person } from './testing/circle-harness.js';

// Every CircleService RPC that names a circle, called by each kind of caller: its
// OWNER, an ADMIN, a MEMBER, a signed-in outsider and an anonymous caller. A non-member learns
// nothing (NotFound, exactly as for a circle that does not exist); a member below the role gets
// PermissionDenied. After every refusal the circle tables and the outbox are exactly as before.
const actors = ['owner', 'admin', 'member', 'outsider', 'anonymous'] as const;
type Actor = (typeof actors)[number];
type Circles = Client<typeof CircleService>;

let c: CircleHarness<AuthHarness>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(() => c?.stop());

interface World {
  circleId: string;
  /** A member nobody in the matrix is: the one removed, promoted or handed the circle. */
  target: Person;
  /** Not a member, not invited yet. */
  guest: Person;
  /** A pending invite of the OWNER's, to a user who is none of the actors. */
  inviteId: string;
  /** A working link of the OWNER's. */
  inviteLinkId: string;
  /** A pending join request of a user who is none of the actors. */
  joinRequestId: string;
  /** A post of `target` (a MEMBER) addressed to the circle, in the post stand-in. */
  postId: string;
  /** Another post of `target`'s, hidden by the OWNER (only in a world made with `hidden`). */
  hiddenPostId: string;
  client(actor: Actor): Circles;
  before: unknown;
}

interface WorldOptions {
  deleted?: boolean;
  open?: boolean;
  hidden?: boolean;
}

async function world(options: WorldOptions = {}): Promise<World> {
  const [owner, admin, member, outsider, target, guest, invitee, asker] = [
    await c.person(),
    await c.person(),
    await c.person(),
    await c.person(),
    await c.person(),
    await c.person(),
    await c.person(),
    await c.person(),
  ];
  const circleId = await c.circle(
    owner,
    options.open ? { discoverable: true, joinRule: JoinRule.REQUEST } : {},
  );
  await c.join(circleId, admin, CircleRole.ADMIN);
  await c.join(circleId, member);
  await c.join(circleId, target);
  const { invite } = await owner.circles.inviteMember({ circleId, userId: invitee.userId });
  const { inviteLink } = await owner.circles.createInviteLink({ circleId, requireApproval: true });
  const { result } = await asker.circles.joinByLink({ code: inviteLink!.code });
  const joinRequest = result.case === 'joinRequest' ? result.value : undefined;
  const postId = c.post(target, [circleId]);
  const hiddenPostId = c.post(target, [circleId]);
  if (options.hidden) {
    await owner.circles.hidePost({ circleId, postId: hiddenPostId, reason: HideReason.SPAM });
  }
  if (options.deleted) await owner.circles.deleteCircle({ circleId });
  // No credential: a bearer header with no token in it.
  const anonymous = createClient(CircleService, c.h.as('').transport);
  const clients: Record<Actor, Circles> = {
    owner: owner.circles,
    admin: admin.circles,
    member: member.circles,
    outsider: outsider.circles,
    anonymous,
  };
  return {
    circleId,
    target,
    guest,
    inviteId: invite!.inviteId,
    inviteLinkId: inviteLink!.inviteLinkId,
    joinRequestId: joinRequest!.joinRequestId,
    postId,
    hiddenPostId,
    client: (actor) => clients[actor],
    before: await c.snapshot(),
  };
}

const intact = async (w: World) => assert.deepEqual(await c.snapshot(), w.before);

function row(
  name: Parameters<typeof rpc<typeof CircleService>>[1],
  call: (client: Circles, w: World) => Promise<unknown>,
  expect: Record<Actor, Answer>,
  options: WorldOptions = {},
) {
  return accessRow<Actor, World>({
    method: rpc(CircleService, name),
    setup: () => world(options),
    call: (actor, w) => call(w.client(actor), w),
    expect,
    intact,
  });
}

const { NotFound, PermissionDenied, FailedPrecondition, Unauthenticated } = Code;
const everyMember = { owner: 'ok', admin: 'ok', member: 'ok' } as const;
const admins = { owner: 'ok', admin: 'ok', member: PermissionDenied } as const;
const ownerOnly = { owner: 'ok', admin: PermissionDenied, member: PermissionDenied } as const;
const outside = { outsider: NotFound, anonymous: Unauthenticated } as const;

const rows = [
  row('getCircle', (cl, w) => cl.getCircle({ circleId: w.circleId }), {
    ...everyMember,
    ...outside,
  }),
  row('listMembers', (cl, w) => cl.listMembers({ circleId: w.circleId }), {
    ...everyMember,
    ...outside,
  }),
  row(
    'updateCircle',
    (cl, w) =>
      cl.updateCircle({ circleId: w.circleId, name: 'Renamed', updateMask: { paths: ['name'] } }),
    { ...admins, ...outside },
  ),
  row(
    'setCircleRules',
    (cl, w) =>
      cl.setCircleRules({
        circleId: w.circleId,
        baseVersion: 1,
        rules: [{ title: 'New', body: '' }],
      }),
    { ...admins, ...outside },
  ),
  row('listCircleAuditLog', (cl, w) => cl.listCircleAuditLog({ circleId: w.circleId }), {
    ...admins,
    ...outside,
  }),
  row(
    'removeMember',
    (cl, w) => cl.removeMember({ circleId: w.circleId, userId: w.target.userId }),
    { ...admins, ...outside },
  ),
  row(
    'setMemberRole',
    (cl, w) =>
      cl.setMemberRole({ circleId: w.circleId, userId: w.target.userId, role: CircleRole.ADMIN }),
    { ...ownerOnly, ...outside },
  ),
  row(
    'transferOwnership',
    (cl, w) => cl.transferOwnership({ circleId: w.circleId, newOwnerId: w.target.userId }),
    { ...ownerOnly, ...outside },
  ),
  row('deleteCircle', (cl, w) => cl.deleteCircle({ circleId: w.circleId }), {
    ...ownerOnly,
    ...outside,
  }),
  // Nobody but the OWNER learns that a deleted circle exists.
  row(
    'restoreCircle',
    (cl, w) => cl.restoreCircle({ circleId: w.circleId }),
    { owner: 'ok', admin: NotFound, member: NotFound, ...outside },
    { deleted: true },
  ),
  row(
    'getCircle',
    (cl, w) => cl.getCircle({ circleId: w.circleId }),
    { owner: 'ok', admin: NotFound, member: NotFound, ...outside },
    { deleted: true },
  ),
  row(
    'listMembers',
    (cl, w) => cl.listMembers({ circleId: w.circleId }),
    { owner: FailedPrecondition, admin: NotFound, member: NotFound, ...outside },
    { deleted: true },
  ),
  // The OWNER hands the circle on before leaving.
  row('leave', (cl, w) => cl.leave({ circleId: w.circleId }), {
    owner: FailedPrecondition,
    admin: 'ok',
    member: 'ok',
    ...outside,
  }),
  row(
    'setMemberSafetyRole',
    (cl, w) =>
      cl.setMemberSafetyRole({
        circleId: w.circleId,
        safety: { responder: true },
        updateMask: { paths: ['responder'] },
      }),
    { ...everyMember, ...outside },
  ),
  row(
    'inviteMember',
    (cl, w) => cl.inviteMember({ circleId: w.circleId, userId: w.guest.userId }),
    {
      ...admins,
      ...outside,
    },
  ),
  row('listSentInvites', (cl, w) => cl.listSentInvites({ circleId: w.circleId }), {
    ...admins,
    ...outside,
  }),
  // Its inviter (the OWNER) or an ADMIN; anyone else learns nothing of it.
  row('revokeInvite', (cl, w) => cl.revokeInvite({ inviteId: w.inviteId }), {
    owner: 'ok',
    admin: 'ok',
    member: NotFound,
    ...outside,
  }),
  // Only the invitee, who is none of the actors (their own path: invites.test.ts).
  row('acceptInvite', (cl, w) => cl.acceptInvite({ inviteId: w.inviteId }), {
    owner: NotFound,
    admin: NotFound,
    member: NotFound,
    ...outside,
  }),
  row('declineInvite', (cl, w) => cl.declineInvite({ inviteId: w.inviteId }), {
    owner: NotFound,
    admin: NotFound,
    member: NotFound,
    ...outside,
  }),
  row('banMember', (cl, w) => cl.banMember({ circleId: w.circleId, userId: w.target.userId }), {
    ...admins,
    ...outside,
  }),
  row('unbanMember', (cl, w) => cl.unbanMember({ circleId: w.circleId, userId: w.guest.userId }), {
    ...admins,
    ...outside,
  }),
  row('listBans', (cl, w) => cl.listBans({ circleId: w.circleId }), { ...admins, ...outside }),
  row('createInviteLink', (cl, w) => cl.createInviteLink({ circleId: w.circleId }), {
    ...admins,
    ...outside,
  }),
  row('listInviteLinks', (cl, w) => cl.listInviteLinks({ circleId: w.circleId }), {
    ...admins,
    ...outside,
  }),
  row(
    'updateInviteLink',
    (cl, w) =>
      cl.updateInviteLink({
        inviteLinkId: w.inviteLinkId,
        disabled: true,
        updateMask: { paths: ['disabled'] },
      }),
    { ...admins, ...outside },
  ),
  row('revokeInviteLink', (cl, w) => cl.revokeInviteLink({ inviteLinkId: w.inviteLinkId }), {
    ...admins,
    ...outside,
  }),
  // A discoverable REQUEST circle: an outsider may ask; members already belong.
  row(
    'requestToJoin',
    (cl, w) => cl.requestToJoin({ circleId: w.circleId }),
    {
      owner: FailedPrecondition,
      admin: FailedPrecondition,
      member: FailedPrecondition,
      outsider: 'ok',
      anonymous: Unauthenticated,
    },
    { open: true },
  ),
  row('listJoinRequests', (cl, w) => cl.listJoinRequests({ circleId: w.circleId }), {
    ...admins,
    ...outside,
  }),
  row('approveJoinRequest', (cl, w) => cl.approveJoinRequest({ joinRequestId: w.joinRequestId }), {
    ...admins,
    ...outside,
  }),
  row('rejectJoinRequest', (cl, w) => cl.rejectJoinRequest({ joinRequestId: w.joinRequestId }), {
    ...admins,
    ...outside,
  }),
  // Only its requester, who is none of the actors (their own path: requests.test.ts).
  row(
    'withdrawJoinRequest',
    (cl, w) => cl.withdrawJoinRequest({ joinRequestId: w.joinRequestId }),
    {
      owner: NotFound,
      admin: NotFound,
      member: NotFound,
      ...outside,
    },
  ),
  // Hiding a MEMBER's post (whose posts an ADMIN may hide: hidden-posts.test.ts).
  row(
    'hidePost',
    (cl, w) => cl.hidePost({ circleId: w.circleId, postId: w.postId, reason: HideReason.SPAM }),
    { ...admins, ...outside },
  ),
  row(
    'unhidePost',
    (cl, w) => cl.unhidePost({ circleId: w.circleId, postId: w.hiddenPostId }),
    { ...admins, ...outside },
    { hidden: true },
  ),
  row('listHiddenPosts', (cl, w) => cl.listHiddenPosts({ circleId: w.circleId }), {
    ...admins,
    ...outside,
  }),
  row(
    'hidePost',
    (cl, w) => cl.hidePost({ circleId: w.circleId, postId: w.postId, reason: HideReason.SPAM }),
    { owner: FailedPrecondition, admin: NotFound, member: NotFound, ...outside },
    { deleted: true },
  ),
];

accessMatrix(test, actors, rows);

test('every CircleService RPC that takes an id is in the matrix', () => {
  assertEveryIdMethodCovered([CircleService], rows, {
    [rpc(CircleService, 'createCircle')]:
      "names no circle; its avatar id must be the caller's own upload (circles.test.ts)",
  });
});
