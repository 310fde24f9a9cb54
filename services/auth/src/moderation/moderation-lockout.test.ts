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
import type { TokenPair } from '@kith/gen/kith/auth/v1/types_pb.js';

// Moderation's account enforcement as auth applies it (moderation_events.proto): a suspension
// (until suspended_until) or a ban ends every session and credential at once; while it lasts a
// login gets only a restricted session (its account, its sessions, and elsewhere moderation's
// decisions, the appeal and a data export); a reversal or the end of a suspension gives full
// sessions again; events are applied by the account's enforcement version only.

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

/**
 * A password login with the right password from a device the lockout made the account forget;
 * it ends in a session, restricted or not as the account's standing says.
 */
async function freshLogin(user: TestUser): Promise<TokenPair> {
  return signInWithMailedCode(h, deviceClient(h), user);
}

/** What a restricted session is told outside its few methods. */
async function refusedAsRestricted(code: Promise<Code | 'ok'>): Promise<void> {
  assert.equal(await code, Code.PermissionDenied);
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

test('a suspension ends every session, access token and API key at once; a login then gets only a restricted session', async () => {
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

  // A guesser gets the answer of any wrong password; the password's holder gets in, restricted.
  const guess = await rejectsWith(
    deviceClient(h).login({ identifier: user.email, password: 'not the password' }),
    Code.Unauthenticated,
  );
  assert.equal(guess.rawMessage, 'invalid credentials');
  const restricted = await freshLogin(user);
  assert.equal(restricted.restricted, true);
  const signedIn = h.as(restricted.accessToken).auth;
  assert.equal((await signedIn.getAccount({})).account?.userId, user.userId);
  const sessions = await signedIn.listSessions({});
  assert.deepEqual(
    sessions.sessions.map((s) => s.sessionId),
    [restricted.sessionId],
  );
  // Nothing else: no settings, no new credentials, no password change.
  await refusedAsRestricted(atUserService(restricted.accessToken));
  const denied = await rejectsWith(
    signedIn.createApiKey({
      name: 'k2',
      scopes: [ApiKeyScope.POSTS_READ],
      proof: { case: 'currentPassword', value: user.password },
    }),
    Code.PermissionDenied,
  );
  assert.match(denied.rawMessage, /suspended or banned/);
  await rejectsWith(
    signedIn.changePassword({ currentPassword: user.password, newPassword: 'another long pass 8' }),
    Code.PermissionDenied,
  );
  // Refresh keeps it restricted while the suspension lasts.
  const refreshed = (await h.auth.refresh({ refreshToken: restricted.refreshToken })).tokens;
  assert.equal(refreshed?.restricted, true);
  await refusedAsRestricted(atUserService(refreshed!.accessToken));
  assert.deepEqual(
    (await auditTrail(h, user.userId))
      .filter((e) => e.type === 'login_failed')
      .map((e) => e.details.reason),
    ['bad_password'],
  );

  // What the gateway and the services act on, by auth, never naming the moderator.
  const events = await eventsAbout(user.userId);
  const revoked = events.flatMap((e) =>
    e.payload.case === 'authSessionRevoked' ? [e.payload.value] : [],
  );
  assert.deepEqual(
    revoked.map((r) => r.sessionId).sort(),
    [user.sessionId, phone.sessionId].sort(),
  );
  assert.deepEqual(
    revoked.map((r) => r.reason),
    [AuthRevocationReason.ACCOUNT_SUSPENDED, AuthRevocationReason.ACCOUNT_SUSPENDED],
  );
  const invalidated = events.flatMap((e) =>
    e.payload.case === 'authTokensInvalidated' ? [e.payload.value.reason] : [],
  );
  assert.deepEqual(invalidated, [AuthRevocationReason.ACCOUNT_SUSPENDED]);
  assert.equal(events.filter((e) => e.payload.case === 'authApiKeyRevoked').length, 1);
  const cutCases = new Set(['authSessionRevoked', 'authTokensInvalidated', 'authApiKeyRevoked']);
  const cut = events.filter((e) => cutCases.has(e.payload.case ?? ''));
  assert.equal(cut.length, 4);
  for (const event of cut) {
    assert.deepEqual(event.actor?.kind, { case: 'service', value: 'auth' });
  }
});

test('a suspension is over once its until passes, before any reversal: logins and refreshes are full again', async () => {
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
  const during = await freshLogin(user);
  assert.equal(during.restricted, true);

  h.clock.advance(1_000);
  const tokens = await freshLogin(user);
  assert.equal(tokens.userId, user.userId);
  assert.equal(tokens.restricted, false);
  assert.notEqual(await atUserService(tokens.accessToken), Code.Unauthenticated);
  assert.notEqual(await atUserService(tokens.accessToken), Code.PermissionDenied);
  // The restricted session carries on, full from its next refresh.
  const after = (await h.auth.refresh({ refreshToken: during.refreshToken })).tokens;
  assert.equal(after?.restricted, false);
  // Nothing the suspension ended comes back.
  await rejectsWith(h.auth.refresh({ refreshToken: user.refreshToken }), Code.Unauthenticated);
});

test('a reversal lifts the restriction at once: restricted access tokens die and a refresh is full; older events replayed after it change nothing', async () => {
  const user = await seedUser(h);
  await publishModerationEvent(h, accountActioned(user.userId, 1n, { suspended: true }));
  await refusedByServices(user.accessToken);
  const restricted = await freshLogin(user);
  await refusedAsRestricted(atUserService(restricted.accessToken));

  // (Tokens minted in the second of an invalidation survive it: see validAfterSeconds.)
  h.clock.advance(1_000);
  await publishModerationEvent(h, accountActionReversed(user.userId, 2n));
  // The client learns it at its next call: Unauthenticated, so it refreshes.
  await refusedByServices(restricted.accessToken);
  const full = (await h.auth.refresh({ refreshToken: restricted.refreshToken })).tokens!;
  assert.equal(full.restricted, false);
  assert.notEqual(await atUserService(full.accessToken), Code.Unauthenticated);
  assert.notEqual(await atUserService(full.accessToken), Code.PermissionDenied);
  const lifted = (await eventsAbout(user.userId)).flatMap((e) =>
    e.payload.case === 'authTokensInvalidated' ? [e.payload.value.reason] : [],
  );
  assert.deepEqual(lifted, [
    AuthRevocationReason.ACCOUNT_SUSPENDED,
    AuthRevocationReason.RESTRICTION_LIFTED,
  ]);
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
  assert.deepEqual(await liveSessionIds(user.userId), [restricted.sessionId]);
  assert.notEqual(await atUserService(full.accessToken), Code.Unauthenticated);
  assert.equal(
    (await h.auth.refresh({ refreshToken: full.refreshToken })).tokens?.restricted,
    false,
  );
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
  assert.equal(tokens.restricted, false);
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
  assert.equal((await signIn(deviceClient(h), user)).restricted, false);

  // The account's own first action still applies: the post's versions are not the account's.
  await publishModerationEvent(h, accountActioned(user.userId, 1n, { suspended: true }));
  assert.equal((await freshLogin(user)).restricted, true);
});

test('a ban is permanent: restricted long after, as at once', async () => {
  const user = await seedUser(h);
  await publishModerationEvent(h, accountActioned(user.userId, 1n, { banned: true }));
  await refusedByServices(user.accessToken);
  await rejectsWith(h.auth.refresh({ refreshToken: user.refreshToken }), Code.Unauthenticated);
  const first = await freshLogin(user);
  assert.equal(first.restricted, true);

  h.clock.advance(365 * DAY_MS);
  const later = await freshLogin(user);
  assert.equal(later.restricted, true);
  assert.equal(
    (await h.auth.refresh({ refreshToken: later.refreshToken })).tokens?.restricted,
    true,
  );
  await refusedAsRestricted(atUserService(later.accessToken));
  const revoked = (await eventsAbout(user.userId)).flatMap((e) =>
    e.payload.case === 'authSessionRevoked' ? [e.payload.value.reason] : [],
  );
  assert.deepEqual(revoked, [AuthRevocationReason.ACCOUNT_BANNED]);
});

test('a staff disabling still leaves nothing: no session, restricted or not', async () => {
  const user = await seedUser(h);
  await publishModerationEvent(h, accountActioned(user.userId, 1n, { suspended: true }));
  const restricted = await freshLogin(user);
  await h.app.database.db
    .updateTable('accounts')
    .set({ disabled_at: h.clock.now() })
    .where('id', '=', user.userId)
    .execute();
  await rejectsWith(
    h.auth.refresh({ refreshToken: restricted.refreshToken }),
    Code.Unauthenticated,
  );
  const refused = await rejectsWith(
    deviceClient(h).login({ identifier: user.email, password: user.password }),
    Code.Unauthenticated,
  );
  assert.equal(refused.rawMessage, 'invalid credentials');
  await rejectsWith(h.as(restricted.accessToken).auth.getAccount({}), Code.Unauthenticated);
});

test('a suspended account that forgot its password resets it, and the new one signs in, restricted', async () => {
  const user = await seedUser(h);
  await publishModerationEvent(h, accountActioned(user.userId, 1n, { suspended: true }));
  await deviceClient(h).requestPasswordReset({ email: user.email });
  const mail = await h.lastMailTo(user.email);
  assert.equal(mail.subject, 'Reset your password');
  const newPassword = 'a brand new harbour light';
  await deviceClient(h).resetPassword({ token: mail.token!, newPassword });
  const tokens = await freshLogin({ ...user, password: newPassword });
  assert.equal(tokens.restricted, true);
  await refusedAsRestricted(atUserService(tokens.accessToken));
});
