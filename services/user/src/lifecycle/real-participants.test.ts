import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { strFromU8, unzipSync } from 'fflate';
import { withTables } from '@kith/db';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { DataExportStatus } from '@kith/gen/kith/user/v1/types_pb.js';
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import { insertProfile } from '../profiles/profile-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';
import type { Manifest } from './archive.js';
import { DELETION_GRACE_MS } from './deps.js';
import { runErasurePass } from './erasure-saga.js';
import { DATA_PARTICIPANTS } from './participants.js';
// By path: the user package does not depend on the circle, post, support and moderation
// services; they run here as deployed.
import { circleModule } from '../../../circle/src/index.js';
import { moderationModule } from '../../../moderation/src/index.js';
import { postModule } from '../../../post/src/index.js';
import { supportModule } from '../../../support/src/index.js';
import { eventually, startLifecycleHarness } from './testing/harness.js';
import type { LifecycleHarness } from './testing/harness.js';

// The sagas as they run in a deployment today: auth, the user service, post, circle, support and
// moderation take part, and nothing stands in for any of them.

let t: LifecycleHarness<AuthHarness>;
beforeAll(async () => {
  t = await startLifecycleHarness(startAuthHarness, {
    participants: DATA_PARTICIPANTS,
    modules: [circleModule, postModule, supportModule, moderationModule],
  });
});
afterAll(async () => {
  await t?.stop();
});

async function withProfile<U extends TestUser>(user: U): Promise<U> {
  await insertProfile(withTables<ProfilesDb>(t.app.database.db), {
    userId: user.userId,
    username: user.username,
    locale: 'en',
  });
  return user;
}

const member = async () => withProfile(await seedUser(t.h));

async function as(user: TestUser) {
  return t.users((await startSession(t.h, user)).accessToken);
}

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
  }
  return [];
}

test('the sagas wait for auth, the user service, post, circle, support and moderation only', () => {
  assert.deepEqual(t.lifecycle.participants, [
    KithService.AUTH,
    KithService.USER,
    KithService.POST,
    KithService.CIRCLE,
    KithService.SUPPORT,
    KithService.MODERATION,
  ]);
  assert.equal(t.lifecycle.participants, DATA_PARTICIPANTS);
});

test("a data export is READY with only auth's, the user service's, post's, circle's, support's and moderation's parts; auth's part holds the account's auth data and no secret", async () => {
  const user = await withProfile(await seedUser(t.h, { totp: true }));
  const key = await t.h.as(user.accessToken).auth.createApiKey({
    name: 'backup script',
    scopes: [ApiKeyScope.PROFILE_READ],
    proof: { case: 'currentPassword', value: user.password },
  });
  // Another account with its own sessions and key: none of it may reach the export.
  const other = await member();
  const otherKey = await t.h.as(other.accessToken).auth.createApiKey({
    name: 'not yours',
    scopes: [ApiKeyScope.PROFILE_READ],
    proof: { case: 'currentPassword', value: other.password },
  });

  const client = await as(user);
  const { dataExport } = await client.requestDataExport({});
  const id = dataExport!.dataExportId;
  await eventually(
    async () =>
      (await client.getDataExport({ dataExportId: id })).dataExport!.status ===
      DataExportStatus.READY,
    'the export to be READY without any stand-in',
  );
  const ready = (await client.getDataExport({ dataExportId: id })).dataExport!;
  const link = new URL(ready.downloadUrl);
  const res = await fetch(`${t.h.url}${link.pathname}${link.search}`);
  assert.equal(res.status, 200);
  const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
  const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as Manifest;
  assert.deepEqual([...manifest.services].sort(), [
    'auth',
    'circle',
    'moderation',
    'post',
    'support',
    'user',
  ]);

  const auth = (category: string) => {
    const file = files[`auth/${category}.json`];
    assert.ok(file, `auth/${category}.json is in the archive`);
    return JSON.parse(strFromU8(file)) as unknown;
  };
  const account = auth('account') as Record<string, unknown>;
  assert.equal(account.id, user.userId);
  assert.equal(account.username, user.username);
  assert.equal(account.email, user.email);
  assert.equal(account.role, 'user');
  for (const field of ['created_at', 'email_verified_at', 'locale', 'consent']) {
    assert.ok(field in account, `account.${field}`);
  }
  const sessions = auth('sessions') as Record<string, unknown>[];
  assert.ok(sessions.length >= 2, 'every session of the account');
  assert.ok(sessions.some((s) => s.id === user.sessionId));
  for (const session of sessions) {
    for (const field of ['created_at', 'last_used_at', 'user_agent', 'ip']) {
      assert.ok(field in session, `session.${field}`);
    }
  }
  assert.ok((auth('known_devices') as unknown[]).length >= 1, 'the known devices');
  const keys = auth('api_keys') as Record<string, unknown>[];
  assert.deepEqual(
    keys.map((k) => [k.id, k.name, k.scopes]),
    [[key.apiKey!.apiKeyId, 'backup script', ['profile:read']]],
  );
  assert.ok('created_at' in keys[0]! && 'last_used_at' in keys[0]!);
  const mfa = auth('mfa') as Record<string, unknown>;
  assert.equal(mfa.totp_enabled, true);
  assert.equal(mfa.recovery_codes_remaining, user.totp.recoveryCodes.length);
  const audit = auth('audit_log') as Record<string, unknown>[];
  assert.ok(audit.length > 0, "the account's audit entries");
  assert.ok(audit.every((e) => e.actor === 'self' || e.actor === 'system' || e.actor === 'staff'));

  // No secret, under any name or as any value.
  const authText = Object.entries(files)
    .filter(([name]) => name.startsWith('auth/'))
    .map(([, data]) => strFromU8(data))
    .join('\n');
  const authKeys = Object.entries(files)
    .filter(([name]) => name.startsWith('auth/'))
    .flatMap(([, data]) => keysOf(JSON.parse(strFromU8(data))));
  assert.deepEqual(
    authKeys.filter((k) => /hash|secret|password|token|_enc$|prefix|totp_last/i.test(k)),
    [],
  );
  const stored = await t.h.app.database.db
    .selectFrom('accounts')
    .select(['password_hash', 'totp_secret_enc'])
    .where('id', '=', user.userId)
    .executeTakeFirstOrThrow();
  const keyHashes = await t.h.app.database.db
    .selectFrom('api_keys')
    .select('key_hash')
    .where('account_id', 'in', [user.userId, other.userId])
    .execute();
  const secrets = [
    user.password,
    stored.password_hash!,
    stored.totp_secret_enc!,
    user.totp.secret,
    ...user.totp.recoveryCodes,
    key.secret,
    ...keyHashes.map((k) => k.key_hash),
    user.accessToken,
    user.refreshToken,
    user.deviceToken,
  ];
  for (const secret of secrets) {
    assert.ok(secret.length > 0);
    assert.ok(!authText.includes(secret), 'a secret reached the export');
  }
  // Nothing of the other account, anywhere in the archive.
  const archiveText = Object.values(files)
    .map((data) => strFromU8(data))
    .join('\n');
  for (const foreign of [
    other.userId,
    other.email,
    other.username,
    other.sessionId,
    otherKey.apiKey!.apiKeyId,
  ]) {
    assert.ok(!archiveText.includes(foreign), `another account's ${foreign} is in the export`);
  }
});

test('an erasure finishes with only the acknowledgements of auth, the user service, post, circle, support and moderation', async () => {
  const user = await member();
  await (await as(user)).requestAccountDeletion({});
  t.h.clock.advance(DELETION_GRACE_MS + 1000);
  await runErasurePass(t.lifecycle);
  const saga = () =>
    t.app.database.db
      .selectFrom('account_deletions')
      .select('user_id')
      .where('user_id', '=', user.userId)
      .executeTakeFirst();
  await eventually(async () => (await saga()) === undefined, 'the erasure saga to finish');
  const acks = await t.app.database.db
    .selectFrom('erasure_acks')
    .select('service')
    .where('user_id', '=', user.userId)
    .execute();
  assert.deepEqual(acks, [], "the saga's state is gone with it");
  const account = await t.h.app.database.db
    .selectFrom('accounts')
    .select('id')
    .where('id', '=', user.userId)
    .executeTakeFirst();
  assert.equal(account, undefined, "auth erased the account's credentials");
});
