import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { withTables } from '@kith/db';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { rpc } from '@kith/runtime';
import { accessMatrix, accessRow } from '@kith/testkit';
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import { insertProfile } from '../profiles/profile-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';
import { startLifecycleHarness } from './testing/harness.js';
import type { LifecycleHarness } from './testing/harness.js';

// The lifecycle RPCs as every kind of caller. GetDataExport is the one that takes an id; the
// other three act on the caller's own account, and every refusal must leave it untouched.

type Actor = 'owner' | 'other' | 'blocked' | 'anonymous' | 'apiKey';
const ACTORS: readonly Actor[] = ['owner', 'other', 'blocked', 'anonymous', 'apiKey'];

let t: LifecycleHarness<AuthHarness>;
beforeAll(async () => {
  t = await startLifecycleHarness(startAuthHarness);
});
afterAll(async () => {
  await t?.stop();
});

async function member(): Promise<TestUser> {
  const user = await seedUser(t.h);
  await insertProfile(withTables<ProfilesDb>(t.app.database.db), {
    userId: user.userId,
    username: user.username,
    locale: 'en',
  });
  return user;
}

interface World {
  owner: TestUser;
  tokens: Record<Actor, string>;
  dataExportId: string;
}

/** The owner (with one export), a stranger, someone the owner blocks, and the owner's API key. */
async function world(options: { withExport: boolean }): Promise<World> {
  const owner = await member();
  const other = await member();
  const blocked = await member();
  await t.app.database.db
    .insertInto('blocks')
    .values({ blocker_id: owner.userId, blocked_id: blocked.userId })
    .execute();
  const { secret } = await t.h.as(owner.accessToken).auth.createApiKey({
    name: 'all of it',
    scopes: [ApiKeyScope.PROFILE_READ, ApiKeyScope.PROFILE_WRITE, ApiKeyScope.NOTIFICATIONS_READ],
    proof: { case: 'currentPassword', value: owner.password },
  });
  const fresh = async (user: TestUser) => (await startSession(t.h, user)).accessToken;
  const tokens: Record<Actor, string> = {
    owner: await fresh(owner),
    other: await fresh(other),
    blocked: await fresh(blocked),
    anonymous: '',
    apiKey: secret,
  };
  let dataExportId = '';
  if (options.withExport) {
    const res = await t.users(tokens.owner).requestDataExport({});
    dataExportId = res.dataExport!.dataExportId;
  }
  return { owner, tokens, dataExportId };
}

const client = (w: World, actor: Actor) =>
  actor === 'anonymous' ? t.users('') : t.users(w.tokens[actor]);

/** What the lifecycle keeps for the owner: unchanged by any refused call. */
async function lifecycleRows(userId: string) {
  const db = t.app.database.db;
  return {
    exports: await db
      .selectFrom('data_exports')
      .select(['id', 'status'])
      .where('user_id', '=', userId)
      .execute(),
    deletions: await db
      .selectFrom('account_deletions')
      .selectAll()
      .where('user_id', '=', userId)
      .execute(),
    mark: (
      await db
        .selectFrom('profiles')
        .select('deletion_scheduled_for')
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow()
    ).deletion_scheduled_for,
  };
}

function ownAccountRow(
  method: 'requestDataExport' | 'requestAccountDeletion' | 'cancelAccountDeletion',
  call: (w: World, actor: Actor) => Promise<unknown>,
  setup: () => Promise<World & { before: Awaited<ReturnType<typeof lifecycleRows>> }>,
) {
  return accessRow<Actor, World & { before: Awaited<ReturnType<typeof lifecycleRows>> }>({
    method: rpc(UserService, method),
    setup,
    call: (actor, w) => call(w, actor),
    // Only the owner's own session acts on the owner's account: others act on their own.
    expect: {
      owner: 'ok',
      other: 'ok',
      blocked: 'ok',
      anonymous: Code.Unauthenticated,
      apiKey: Code.PermissionDenied,
    },
    async intact(w) {
      assert.deepEqual(await lifecycleRows(w.owner.userId), w.before);
    },
  });
}

const withBefore = async (options: { withExport: boolean; deletion?: boolean }) => {
  const w = await world(options);
  if (options.deletion) await t.users(w.tokens.owner).requestAccountDeletion({});
  return { ...w, before: await lifecycleRows(w.owner.userId) };
};

accessMatrix(test, ACTORS, [
  accessRow<Actor, World>({
    method: rpc(UserService, 'getDataExport'),
    setup: () => world({ withExport: true }),
    call: (actor, w) => client(w, actor).getDataExport({ dataExportId: w.dataExportId }),
    expect: {
      owner: 'ok',
      other: Code.NotFound,
      blocked: Code.NotFound,
      anonymous: Code.Unauthenticated,
      apiKey: Code.PermissionDenied,
    },
  }),
  ownAccountRow(
    'requestDataExport',
    (w, actor) => client(w, actor).requestDataExport({}),
    () => withBefore({ withExport: false }),
  ),
  ownAccountRow(
    'requestAccountDeletion',
    (w, actor) => client(w, actor).requestAccountDeletion({}),
    () => withBefore({ withExport: false }),
  ),
  ownAccountRow(
    'cancelAccountDeletion',
    (w, actor) => client(w, actor).cancelAccountDeletion({}),
    () => withBefore({ withExport: false, deletion: true }),
  ),
]);

test("another user's calls never touch the owner's export or deletion", async () => {
  const w = await withBefore({ withExport: true, deletion: true });
  for (const actor of ['other', 'blocked'] as const) {
    await client(w, actor).requestDataExport({});
    await client(w, actor).cancelAccountDeletion({});
    await client(w, actor).requestAccountDeletion({});
  }
  assert.deepEqual(await lifecycleRows(w.owner.userId), w.before);
});
