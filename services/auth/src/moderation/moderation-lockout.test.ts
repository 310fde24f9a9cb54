import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import type { OutboxTables } from '@kith/bus';
import { withTables } from '@kith/db';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { AuthRevocationReason } from '@kith/gen/kith/events/v1/auth_events_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { decodeEvent } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import { userModule } from '@kith/user-service';
import {
  accountActionReversed,
  accountActioned,
  auditTrail,
  codeOf,
  deviceClient,
  introspectApiKey,
  publishModerationEvent,
  rejectsWith,
  seedUser,
  signIn,
  signInWithMailedCode,
  startAuthHarness,
  startSession,
} from '../testing/index.js';
import type { AuthHarness, TestUser } from '../testing/index.js';

// Moderation's account enforcement as auth applies it (moderation_events.proto): a suspension
// (until suspended_until) or a ban ends every session and credential at once and refuses every
// way to a new one while it lasts; a reversal or the end of a suspension lets the user sign in
// again; events are applied by the account's enforcement version only.

const DAY_MS = 24 * 60 * 60_000;

let h: AuthHarness;
beforeAll(async () => {
  // The user service beside auth: a verifier that is not auth refuses the revoked tokens.
  h = await startAuthHarness({ modules: [userModule] });
});
afterAll(async () => {
  await h?.stop();
});

/** A call at the user service: anything but Unauthenticated means the token was let through. */
function atUserService(accessToken: string) {
  return codeOf(createClient(UserService, h.as(accessToken).transport).getSettings({}));
}

/** Verifiers learn revocations right after the consumer's commit. */
async function refusedByServices(accessToken: string): Promise<void> {
  await waitFor(async () => (await atUserService(accessToken)) === Code.Unauthenticated, {
    what: 'the user service to refuse the access token',
  });
}

/** A password login with the right password that must be refused; returns its message. */
async function refusedLogin(user: TestUser): Promise<string> {
  const err = await rejectsWith(
    deviceClient(h).login({
      identifier: user.email,
      password: user.password,
      deviceToken: user.deviceToken,
    }),
    Code.Unauthenticated,
  );
  return err.rawMessage;
}

async function standingOf(userId: string) {
  return h.app.database.db
    .selectFrom('accounts')
    .select([
      'moderation_version as version',
      'moderation_limited as limited',
      'moderation_suspended as suspended',
      'moderation_banned as banned',
    ])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
}

async function liveSessionIds(userId: string): Promise<string[]> {
  const rows = await h.app.database.db
    .selectFrom('sessions')
    .select('id')
    .where('account_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Auth's events about the user, with who the envelope says acted. */
async function eventsAbout(userId: string) {
  const rows = await withTables<OutboxTables>(h.app.database.db)
    .selectFrom('outbox')
    .select('data')
    .orderBy('id')
    .execute();
  return rows
    .map((r) => decodeEvent(r.data))
    .filter((e) => e.source === 'auth')
    .filter((e) => e.payload.value && 'userId' in e.payload.value)
    .filter((e) => (e.payload.value as { userId: string }).userId === userId);
}

test('a suspension ends every session, access token and API key at once; login and refresh are refused', async () => {
  const user = await seedUser(h);
  const phone = await startSession(h, user);
  const { secret } = await h.as(user.accessToken).auth.createApiKey({
    name: 'k',
    scopes: [ApiKeyScope.POSTS_READ],
    proof: { case: 'currentPassword', value: user.password },
  });
  assert.notEqual(await atUserService(user.accessToken), Code.Unauthenticated);
  assert.notEqual(await introspectApiKey(h, secret), null);

  await publishModerationEvent(h, accountActioned(user.userId, 1n, { suspended: true }));

  for (const session of [user, phone]) {
    await refusedByServices(session.accessToken);
    await rejectsWith(h.auth.refresh({ refreshToken: session.refreshToken }), Code.Unauthenticated);
  }
  assert.equal(await introspectApiKey(h, secret), null, 'no service gets a grant for the key');
  assert.deepEqual(await liveSessionIds(user.userId), []);

  // The password's holder is told why; a guesser gets the answer of any wrong password.
  assert.equal(await refusedLogin(user), 'this account is suspended');
  const guess = await rejectsWith(
    deviceClient(h).login({ identifier: user.email, password: 'not the password' }),
    Code.Unauthenticated,
  );
  assert.equal(guess.rawMessage, 'invalid credentials');
  assert.deepEqual(
    (await auditTrail(h, user.userId))
      .filter((e) => e.type === 'login_failed')
      .map((e) => e.details.reason),
    ['account_suspended', 'bad_password'],
  );

  // What the gateway and the services act on, by auth, never naming the moderator.
  const events = await eventsAbout(user.userId);
  const revoked = events.flatMap((e) =>
    e.payload.case === 'authSessionRevoked' ? [e.payload.value.sessionId] : [],
  );
  assert.deepEqual(revoked.sort(), [user.sessionId, phone.sessionId].sort());
  const invalidated = events.flatMap((e) =>
    e.payload.case === 'authTokensInvalidated' ? [e.payload.value.reason] : [],
  );
  assert.deepEqual(invalidated, [AuthRevocationReason.ACCOUNT_DISABLED]);
  assert.equal(events.filter((e) => e.payload.case === 'authApiKeyRevoked').length, 1);
  const cutCases = new Set(['authSessionRevoked', 'authTokensInvalidated', 'authApiKeyRevoked']);
  const cut = events.filter((e) => cutCases.has(e.payload.case ?? ''));
  assert.equal(cut.length, 4);
  for (const event of cut) {
    assert.deepEqual(event.actor?.kind, { case: 'service', value: 'auth' });
  }
});

test('a suspension is over once its until passes, before any reversal: the user signs in afresh', async () => {
  const user = await seedUser(h);
  const until = new Date(h.clock.now().getTime() + 3 * DAY_MS);
  await publishModerationEvent(
    h,
    accountActioned(user.userId, 1n, {
      suspended: true,
      suspendedUntil: timestampFromDate(until),
    }),
  );
  await refusedByServices(user.accessToken);
  h.clock.advance(3 * DAY_MS - 1_000);
  assert.equal(await refusedLogin(user), 'this account is suspended');

  h.clock.advance(1_000);
  // Its devices were forgotten with its sessions: the first login asks for the mailed code.
  const tokens = await signInWithMailedCode(h, deviceClient(h), user);
  assert.equal(tokens.userId, user.userId);
  assert.notEqual(await atUserService(tokens.accessToken), Code.Unauthenticated);
  await h.auth.refresh({ refreshToken: tokens.refreshToken });
  // Nothing the suspension ended comes back.
  await rejectsWith(h.auth.refresh({ refreshToken: user.refreshToken }), Code.Unauthenticated);
});

test('a reversal lets the user sign in again; older events replayed after it change nothing', async () => {
  const user = await seedUser(h);
  await publishModerationEvent(h, accountActioned(user.userId, 1n, { suspended: true }));
  await refusedByServices(user.accessToken);
  assert.equal(await refusedLogin(user), 'this account is suspended');

  await publishModerationEvent(h, accountActionReversed(user.userId, 2n));
  const tokens = await signInWithMailedCode(h, deviceClient(h), user);
  await rejectsWith(h.auth.refresh({ refreshToken: user.refreshToken }), Code.Unauthenticated);

  // A replay of the suspension, and a late event of the same version as the reversal.
  await publishModerationEvent(h, accountActioned(user.userId, 1n, { suspended: true }));
  await publishModerationEvent(h, accountActioned(user.userId, 2n, { banned: true }));
  assert.deepEqual(await standingOf(user.userId), {
    version: '2',
    limited: false,
    suspended: false,
    banned: false,
  });
  assert.deepEqual(await liveSessionIds(user.userId), [tokens.sessionId]);
  assert.notEqual(await atUserService(tokens.accessToken), Code.Unauthenticated);
  await h.auth.refresh({ refreshToken: tokens.refreshToken });
});

test('a limited account keeps its sessions and signs in as before', async () => {
  const user = await seedUser(h);
  await publishModerationEvent(h, accountActioned(user.userId, 1n, { limited: true }));
  assert.deepEqual(await standingOf(user.userId), {
    version: '1',
    limited: true,
    suspended: false,
    banned: false,
  });
  assert.deepEqual(await liveSessionIds(user.userId), [user.sessionId]);
  assert.notEqual(await atUserService(user.accessToken), Code.Unauthenticated);
  await h.auth.refresh({ refreshToken: user.refreshToken });
  const tokens = await signIn(deviceClient(h), user);
  assert.equal(tokens.userId, user.userId);
});

test('moderation of a post is never taken for moderation of the account', async () => {
  const user = await seedUser(h);
  // A post subject whose id is the account's, carrying account restrictions: still a post.
  const onPost = { kind: { case: 'postId' as const, value: user.userId } };
  await publishModerationEvent(h, {
    case: 'moderationActionReversed',
    value: {
      actionId: crypto.randomUUID(),
      subject: onPost,
      userId: user.userId,
      version: 7n,
      enforcement: { suspended: true, banned: true },
    },
  });
  await publishModerationEvent(h, {
    case: 'moderationContentActioned',
    value: {
      actionId: crypto.randomUUID(),
      subject: onPost,
      userId: user.userId,
      version: 8n,
      enforcement: { hidden: true, banned: true },
    },
  });
  assert.deepEqual(await standingOf(user.userId), {
    version: '0',
    limited: false,
    suspended: false,
    banned: false,
  });
  assert.deepEqual(await liveSessionIds(user.userId), [user.sessionId]);
  assert.notEqual(await atUserService(user.accessToken), Code.Unauthenticated);
  await signIn(deviceClient(h), user);

  // The account's own first action still applies: the post's versions are not the account's.
  await publishModerationEvent(h, accountActioned(user.userId, 1n, { suspended: true }));
  assert.equal(await refusedLogin(user), 'this account is suspended');
});

test('a ban is permanent: refused long after, as at once', async () => {
  const user = await seedUser(h);
  await publishModerationEvent(h, accountActioned(user.userId, 1n, { banned: true }));
  await refusedByServices(user.accessToken);
  assert.equal(await refusedLogin(user), 'this account is banned');
  await rejectsWith(h.auth.refresh({ refreshToken: user.refreshToken }), Code.Unauthenticated);

  h.clock.advance(365 * DAY_MS);
  assert.equal(await refusedLogin(user), 'this account is banned');
  assert.deepEqual(await liveSessionIds(user.userId), []);
});
