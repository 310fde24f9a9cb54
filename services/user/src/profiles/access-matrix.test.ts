import { afterAll, beforeAll, test } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { rpc } from '@kith/runtime';
import { accessMatrix, accessRow } from '@kith/testkit';
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import { userModule } from '../module.js';
import { markDeletionScheduled } from './deletion-mark.js';
import { userContext, userDatabase, userDb, users, withProfile } from './testing/support.js';

// Who may read a profile (the id-taking reads of the profiles area). Graph, notification and
// lifecycle RPCs have their own rows in their areas.
type Actor = 'owner' | 'stranger' | 'blocked' | 'anonymous';
const actors: readonly Actor[] = ['owner', 'stranger', 'blocked', 'anonymous'];

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness({ modules: [userModule] });
});
afterAll(async () => {
  await h?.stop();
});

interface World {
  owner: TestUser;
  stranger: TestUser;
  blocked: TestUser;
}

async function world(options: { deletionPending?: boolean } = {}): Promise<World> {
  const [owner, stranger, blocked] = [
    await withProfile(h, await seedUser(h)),
    await withProfile(h, await seedUser(h)),
    await withProfile(h, await seedUser(h)),
  ];
  await userDb(h)
    .insertInto('blocks')
    .values({ blocker_id: owner.userId, blocked_id: blocked.userId })
    .execute();
  if (options.deletionPending) {
    const when = new Date(h.clock.now().getTime() + 30 * 86_400_000);
    await userDatabase(h).transaction((trx) =>
      markDeletionScheduled(userContext(h), trx, owner.userId, when),
    );
  }
  return { owner, stranger, blocked };
}

const as = (actor: Actor, w: World) =>
  users(h, actor === 'anonymous' ? undefined : w[actor].accessToken);

/** GetProfiles leaves out what it may not show: absent reads as NotFound here. */
async function listed(actor: Actor, w: World): Promise<void> {
  const { profiles } = await as(actor, w).getProfiles({ userIds: [w.owner.userId] });
  if (profiles.length === 0) throw new ConnectError('left out', Code.NotFound);
}

const visible = { owner: 'ok', stranger: 'ok', blocked: Code.NotFound, anonymous: 'ok' } as const;
const ownerOnly = {
  owner: 'ok',
  stranger: Code.NotFound,
  blocked: Code.NotFound,
  anonymous: Code.NotFound,
} as const;

accessMatrix(test, actors, [
  accessRow({
    method: rpc(UserService, 'getProfile'),
    setup: () => world(),
    call: (actor, w) =>
      as(actor, w).getProfile({ lookup: { case: 'userId', value: w.owner.userId } }),
    expect: visible,
  }),
  accessRow({
    method: `${rpc(UserService, 'getProfile')} by username`,
    setup: () => world(),
    call: (actor, w) =>
      as(actor, w).getProfile({ lookup: { case: 'username', value: w.owner.username } }),
    expect: visible,
  }),
  accessRow({
    method: rpc(UserService, 'getProfiles'),
    setup: () => world(),
    call: listed,
    expect: visible,
  }),
  accessRow({
    method: `${rpc(UserService, 'getProfile')} pending deletion`,
    setup: () => world({ deletionPending: true }),
    call: (actor, w) =>
      as(actor, w).getProfile({ lookup: { case: 'userId', value: w.owner.userId } }),
    expect: ownerOnly,
  }),
  accessRow({
    method: `${rpc(UserService, 'getProfiles')} pending deletion`,
    setup: () => world({ deletionPending: true }),
    call: listed,
    expect: ownerOnly,
  }),
]);
