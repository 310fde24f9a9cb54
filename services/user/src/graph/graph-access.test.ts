import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code, createClient } from '@connectrpc/connect';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { rpc } from '@kith/runtime';
import { accessMatrix, accessRow, assertEveryIdMethodCovered } from '@kith/testkit';
import type { Answer } from '@kith/testkit';
// By path: the user package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startGraphHarness } from './testing/graph-harness.js';
import type { GraphHarness, Member } from './testing/graph-harness.js';

// Every graph RPC names another user. The owner of that id is the resource; the actors are a
// signed-in stranger, a user the owner blocks (who must learn nothing of it: NotFound exactly
// where an unknown id answers NotFound), and an anonymous caller. After every refusal the graph
// tables and the outbox are exactly as before.
const actors = ['stranger', 'blocked', 'anonymous'] as const;
type Actor = (typeof actors)[number];

let g: GraphHarness<AuthHarness>;
beforeAll(async () => {
  g = await startGraphHarness({ start: startAuthHarness, seed: (h) => seedUser(h) });
});
afterAll(() => g?.stop());

interface World {
  owner: Member;
  client(actor: Actor): Member['user'];
  before: unknown;
}

/** The owner (locked when asked), a stranger, and a user the owner blocks. */
async function world(options: { locked?: boolean } = {}): Promise<World> {
  const owner = await g.member(options);
  const stranger = await g.member();
  const blocked = await g.member();
  await owner.user.block({ userId: blocked.userId });
  // A pending request of the owner's own, which no actor may answer.
  const locked = await g.member({ locked: true });
  await owner.user.follow({ userId: locked.userId });
  // No credential: a bearer header with no token in it (the harness always sends the header).
  const anonymous = createClient(UserService, g.h.as('').transport);
  const clients = { stranger: stranger.user, blocked: blocked.user, anonymous };
  return { owner, client: (actor) => clients[actor], before: await g.snapshot() };
}

const intact = async (w: World) => assert.deepEqual(await g.snapshot(), w.before);

function row(
  name: Parameters<typeof rpc<typeof UserService>>[1],
  call: (client: Member['user'], owner: Member) => Promise<unknown>,
  expect: Record<Actor, Answer>,
) {
  return accessRow<Actor, World>({
    method: rpc(UserService, name),
    setup: () => world(),
    call: (actor, w) => call(w.client(actor), w.owner),
    expect,
    intact,
  });
}

const unauthenticated = Code.Unauthenticated;
const rows = [
  row('follow', (c, o) => c.follow({ userId: o.userId }), {
    stranger: 'ok',
    blocked: Code.NotFound,
    anonymous: unauthenticated,
  }),
  // Undoing what is not there succeeds for anyone: it reveals nothing and changes nothing.
  row('unfollow', (c, o) => c.unfollow({ userId: o.userId }), {
    stranger: 'ok',
    blocked: 'ok',
    anonymous: unauthenticated,
  }),
  row('removeFollower', (c, o) => c.removeFollower({ userId: o.userId }), {
    stranger: 'ok',
    blocked: 'ok',
    anonymous: unauthenticated,
  }),
  row('listFollowers', (c, o) => c.listFollowers({ userId: o.userId }), {
    stranger: 'ok',
    blocked: Code.NotFound,
    anonymous: unauthenticated,
  }),
  row('listFollowing', (c, o) => c.listFollowing({ userId: o.userId }), {
    stranger: 'ok',
    blocked: Code.NotFound,
    anonymous: unauthenticated,
  }),
  // The owner asked someone else, not the actor: no actor holds a request from the owner.
  row('acceptFollowRequest', (c, o) => c.acceptFollowRequest({ userId: o.userId }), {
    stranger: Code.NotFound,
    blocked: Code.NotFound,
    anonymous: unauthenticated,
  }),
  row('rejectFollowRequest', (c, o) => c.rejectFollowRequest({ userId: o.userId }), {
    stranger: Code.NotFound,
    blocked: Code.NotFound,
    anonymous: unauthenticated,
  }),
  // Blocking a user who blocks you succeeds, so it tells nothing.
  row('block', (c, o) => c.block({ userId: o.userId }), {
    stranger: 'ok',
    blocked: 'ok',
    anonymous: unauthenticated,
  }),
  row('unblock', (c, o) => c.unblock({ userId: o.userId }), {
    stranger: 'ok',
    blocked: 'ok',
    anonymous: unauthenticated,
  }),
  row('mute', (c, o) => c.mute({ userId: o.userId }), {
    stranger: 'ok',
    blocked: Code.NotFound,
    anonymous: unauthenticated,
  }),
  row('unmute', (c, o) => c.unmute({ userId: o.userId }), {
    stranger: 'ok',
    blocked: 'ok',
    anonymous: unauthenticated,
  }),
  row('getRelationships', (c, o) => c.getRelationships({ userIds: [o.userId] }), {
    stranger: 'ok',
    blocked: 'ok',
    anonymous: unauthenticated,
  }),
];

accessMatrix(test, actors, rows);

test('the blocked user reads the blocker exactly as an unknown user', async () => {
  const w = await world();
  const blocked = w.client('blocked');
  const { relationships } = await blocked.getRelationships({
    userIds: [w.owner.userId, '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'],
  });
  assert.deepEqual({ ...relationships[0], userId: '' }, { ...relationships[1], userId: '' });
});

test('refused writes by the owner leave the graph unchanged', async () => {
  const w = await world({ locked: true });
  const owner = w.owner.user;
  const blockedId = (await owner.listBlocks({})).blocks[0]!.user!.userId;
  for (const call of [
    () => owner.follow({ userId: w.owner.userId }),
    () => owner.follow({ userId: blockedId }),
    () => owner.block({ userId: w.owner.userId }),
    () => owner.mute({ userId: w.owner.userId }),
    () => owner.acceptFollowRequest({ userId: blockedId }),
    () => owner.rejectFollowRequest({ userId: blockedId }),
    () => owner.block({ userId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' }),
  ]) {
    await assert.rejects(call());
  }
  await intact(w);
});

test('every UserService RPC that takes an id is in the matrix or exempt with a reason', () => {
  assertEveryIdMethodCovered([UserService], rows, {
    [rpc(UserService, 'getProfile')]: "the profiles area's matrix (public, visibility rules)",
    [rpc(UserService, 'getProfiles')]: "the profiles area's matrix (public, visibility rules)",
    [rpc(UserService, 'getDataExport')]: "the lifecycle area's matrix (the caller's own exports)",
  });
});
