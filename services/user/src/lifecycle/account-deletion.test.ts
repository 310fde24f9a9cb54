import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { withTables } from '@kith/db';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import {
  codeOf,
  deviceClient,
  rejectsWith,
  seedUser,
  signIn,
  startAuthHarness,
  startSession,
} from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import { insertProfile } from '../profiles/profile-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';
import { pendingDeletionOf } from './account-deletion.js';
import { DELETION_GRACE_MS } from './deps.js';
import type { LifecycleDb } from './lifecycle-store.js';
import { startLifecycleHarness, userOutbox } from './testing/harness.js';
import type { LifecycleHarness } from './testing/harness.js';

const MINUTE = 60_000;

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

async function as(user: TestUser) {
  return t.users((await startSession(t.h, user)).accessToken);
}

async function deletionMark(userId: string): Promise<Date | null> {
  const row = await t.app.database.db
    .selectFrom('profiles')
    .select('deletion_scheduled_for')
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.deletion_scheduled_for;
}

test('deleting the account needs a sign-in within the last hour', async () => {
  const account = await seedUser(t.h, { signedIn: false });
  const signedIn = await signIn(deviceClient(t.h), account);
  t.h.clock.advance(61 * MINUTE);
  // The access token has expired meanwhile; a refreshed one keeps the old auth_time.
  const refreshed = (await deviceClient(t.h).refresh({ refreshToken: signedIn.refreshToken }))
    .tokens!;
  const err = await rejectsWith(
    t.users(refreshed.accessToken).requestAccountDeletion({}),
    Code.FailedPrecondition,
  );
  assert.equal(err.rawMessage, 'reauthentication required: call Reauthenticate first');
  const rows = await t.app.database.db
    .selectFrom('account_deletions')
    .select('user_id')
    .where('user_id', '=', account.userId)
    .execute();
  assert.deepEqual(rows, [], 'nothing was scheduled');

  const reauth = await t.h.as(refreshed.accessToken).auth.reauthenticate({
    factor: { case: 'password', value: account.password },
  });
  const res = await t.users(reauth.tokens!.accessToken).requestAccountDeletion({});
  assert.ok(res.accountDeletion?.scheduledFor);
});

test('an API key can never delete the account', async () => {
  const user = await member();
  const { secret } = await t.h.as(user.accessToken).auth.createApiKey({
    name: 'everything',
    scopes: [ApiKeyScope.PROFILE_READ, ApiKeyScope.PROFILE_WRITE],
    proof: { case: 'currentPassword', value: user.password },
  });
  assert.equal(await codeOf(t.users(secret).requestAccountDeletion({})), Code.PermissionDenied);
  assert.equal(await codeOf(t.users(secret).cancelAccountDeletion({})), Code.PermissionDenied);
  assert.equal(await codeOf(t.users(secret).requestDataExport({})), Code.PermissionDenied);
});

test('a deletion is scheduled after the grace period, hides the profile at once and publishes user.erasure_requested', async () => {
  const user = await member();
  const now = t.h.clock.now();
  const { accountDeletion } = await (
    await as(user)
  ).requestAccountDeletion({
    reason: 'moving on',
  });
  const scheduledFor = timestampDate(accountDeletion!.scheduledFor!);
  assert.equal(scheduledFor.getTime(), now.getTime() + DELETION_GRACE_MS);
  assert.equal(timestampDate(accountDeletion!.requestedAt!).getTime(), now.getTime());
  assert.equal((await deletionMark(user.userId))?.getTime(), scheduledFor.getTime());

  const events = (await userOutbox(t)).filter(
    (p) => p.case === 'userErasureRequested' && p.value.userId === user.userId,
  );
  assert.equal(events.length, 1);
  assert.equal(
    events[0]!.case === 'userErasureRequested' &&
      timestampDate(events[0]!.value.scheduledFor!).getTime(),
    scheduledFor.getTime(),
  );
  // GetSettings' pending_deletion, as the profiles area reads it.
  const pending = await pendingDeletionOf(withTables<LifecycleDb>(t.app.database.db), user.userId);
  const { seconds, nanos } = pending!.scheduledFor!;
  assert.equal(Number(seconds) * 1000 + (nanos ?? 0) / 1e6, scheduledFor.getTime());

  // The reason is kept with no link to the user.
  const feedback = await t.app.database.db
    .selectFrom('deletion_feedback')
    .selectAll()
    .where('reason', '=', 'moving on')
    .execute();
  assert.equal(feedback.length, 1);
  assert.ok(!Object.values(feedback[0]!).includes(user.userId));
});

test('asking again while a deletion is pending keeps the first schedule', async () => {
  const user = await member();
  const first = await (await as(user)).requestAccountDeletion({});
  t.h.clock.advance(10 * MINUTE);
  const second = await (await as(user)).requestAccountDeletion({});
  assert.deepEqual(second.accountDeletion?.scheduledFor, first.accountDeletion?.scheduledFor);
  const events = (await userOutbox(t)).filter(
    (p) => p.case === 'userErasureRequested' && p.value.userId === user.userId,
  );
  assert.equal(events.length, 1);
});

test('cancelling during the grace period shows the profile again; cancelling with nothing pending succeeds', async () => {
  const user = await member();
  await (await as(user)).cancelAccountDeletion({});
  await (await as(user)).requestAccountDeletion({});
  t.h.clock.advance(DELETION_GRACE_MS - MINUTE);
  await (await as(user)).cancelAccountDeletion({});
  assert.equal(await deletionMark(user.userId), null);
  assert.equal(
    await pendingDeletionOf(withTables<LifecycleDb>(t.app.database.db), user.userId),
    undefined,
  );
  // A new request starts a new grace period.
  const again = await (await as(user)).requestAccountDeletion({});
  assert.equal(
    timestampDate(again.accountDeletion!.scheduledFor!).getTime(),
    t.h.clock.now().getTime() + DELETION_GRACE_MS,
  );
});

test('once the grace period is over a deletion can no longer be cancelled', async () => {
  const user = await member();
  await (await as(user)).requestAccountDeletion({});
  t.h.clock.advance(DELETION_GRACE_MS);
  const err = await rejectsWith(
    (await as(user)).cancelAccountDeletion({}),
    Code.FailedPrecondition,
  );
  assert.match(err.rawMessage, /grace period is over/);
  assert.notEqual(await deletionMark(user.userId), null);
});
