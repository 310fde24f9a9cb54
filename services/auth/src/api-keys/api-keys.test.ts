import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { toJsonString } from '@bufbuild/protobuf';
import { durationFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import {
  API_KEY_INTROSPECT_SUBJECT,
  INTROSPECT_NONCE_HEADER,
  apiKeyCacheKey,
  hashApiKey,
  verifyGrant,
} from '@kith/authn';
import { ListApiKeysResponseSchema } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
// By path: the auth package does not depend on the support service, and this test must see
// the support module's real API-key scopes, not a copy of them.
import { supportModule } from '@kith/support-service';
import {
  auditTrail,
  codeOf,
  introspectApiKey,
  seedUser,
  startAuthHarness,
} from '../testing/index.js';
import type { AuthHarness, TestUser } from '../testing/index.js';
import { MAX_ACTIVE_API_KEYS } from './create-api-key.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness({ modules: [supportModule] });
});
afterAll(async () => {
  await h?.stop();
});

async function createKey(user: TestUser, scopes: ApiKeyScope[], ttlMs?: number) {
  const res = await h.as(user.accessToken).auth.createApiKey({
    name: 'test key',
    scopes,
    ttl: ttlMs === undefined ? undefined : durationFromMs(ttlMs),
    proof: { case: 'currentPassword', value: user.password },
  });
  assert.ok(res.apiKey);
  return { key: res.apiKey, secret: res.secret };
}

const support = (secret: string) => createClient(SupportService, h.as(secret).transport);

test('CreateApiKey shows the secret once; ListApiKeys and the database never hold it', async () => {
  const user = await seedUser(h);
  const { key, secret } = await createKey(user, [ApiKeyScope.SUPPORT_READ, ApiKeyScope.SOS_RAISE]);
  assert.match(secret, /^kith_ak_[A-Za-z0-9_-]{43}$/);
  assert.equal(key.prefix, secret.slice(0, 12));
  assert.deepEqual(key.scopes, [ApiKeyScope.SUPPORT_READ, ApiKeyScope.SOS_RAISE]);
  assert.equal(timestampMs(key.expiresAt!), h.clock.now().getTime() + 90 * DAY);
  assert.equal(key.revokedAt, undefined);

  const list = await h.as(user.accessToken).auth.listApiKeys({});
  assert.deepEqual(
    list.apiKeys.map((k) => k.apiKeyId),
    [key.apiKeyId],
  );
  assert.ok(!toJsonString(ListApiKeysResponseSchema, list).includes(secret.slice(12)));
  assert.ok(!('secret' in list.apiKeys[0]!));

  const row = await h.app.database.db
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', key.apiKeyId)
    .executeTakeFirstOrThrow();
  assert.equal(row.key_hash, hashApiKey(secret));
  assert.ok(!Object.values(row).some((v) => String(v).includes(secret.slice(12))));
  assert.deepEqual(row.scopes, ['support:read', 'sos:raise']);

  const audit = (await auditTrail(h, user.userId)).filter((e) => e.type === 'api_key_created');
  assert.equal(audit.length, 1);
  assert.deepEqual(audit[0]!.details, {
    api_key_id: key.apiKeyId,
    scopes: 'support:read sos:raise',
  });
});

test('an API key cannot manage the account: AuthService answers PermissionDenied', async () => {
  const user = await seedUser(h);
  const { secret } = await createKey(user, [ApiKeyScope.PROFILE_READ]);
  const asKey = h.as(secret).auth;
  assert.equal(await codeOf(asKey.getAccount({})), Code.PermissionDenied);
  assert.equal(await codeOf(asKey.listApiKeys({})), Code.PermissionDenied);
  assert.equal(await codeOf(asKey.listSessions({})), Code.PermissionDenied);
  assert.equal(
    await codeOf(
      asKey.createApiKey({
        name: 'more',
        scopes: [ApiKeyScope.SOS_RAISE],
        proof: { case: 'currentPassword', value: user.password },
      }),
    ),
    Code.PermissionDenied,
  );
});

test('CreateApiKey needs a sign-in within the last hour on this session', async () => {
  const user = await seedUser(h);
  await h.app.database.db
    .updateTable('sessions')
    .set({ auth_time: new Date(h.clock.now().getTime() - 2 * HOUR) })
    .where('id', '=', user.sessionId)
    .execute();
  assert.equal(
    await codeOf(
      h.as(user.accessToken).auth.createApiKey({
        name: 'k',
        scopes: [ApiKeyScope.POSTS_READ],
        proof: { case: 'currentPassword', value: user.password },
      }),
    ),
    Code.FailedPrecondition,
  );
  const count = await h.app.database.db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', user.userId)
    .executeTakeFirstOrThrow();
  assert.equal(Number(count.n), 0);
});

test(`at most ${MAX_ACTIVE_API_KEYS} active keys; revoked and expired ones do not count`, async () => {
  const user = await seedUser(h);
  const now = h.clock.now();
  const rows = Array.from({ length: MAX_ACTIVE_API_KEYS - 1 }, () => ({
    id: crypto.randomUUID(),
    account_id: user.userId,
    name: 'bulk',
    prefix: 'kith_ak_bulk',
    key_hash: hashApiKey(crypto.randomUUID()),
    scopes: ['posts:read'],
    created_at: now,
    expires_at: new Date(now.getTime() + DAY),
  }));
  await h.app.database.db.insertInto('api_keys').values(rows).execute();
  // An expired and a revoked key on top: neither counts.
  await h.app.database.db
    .insertInto('api_keys')
    .values([
      { ...rows[0]!, id: crypto.randomUUID(), key_hash: hashApiKey('x1'), expires_at: now },
      { ...rows[0]!, id: crypto.randomUUID(), key_hash: hashApiKey('x2'), revoked_at: now },
    ])
    .execute();
  const last = await createKey(user, [ApiKeyScope.POSTS_READ]);
  assert.equal(await codeOf(createKey(user, [ApiKeyScope.POSTS_READ])), Code.FailedPrecondition);
  await h.as(user.accessToken).auth.revokeApiKey({ apiKeyId: last.key.apiKeyId });
  await createKey(user, [ApiKeyScope.POSTS_READ]);
});

test('introspection over the bus: a grant for a live key; null once revoked, expired or disabled', async () => {
  const user = await seedUser(h);
  const { key, secret } = await createKey(user, [ApiKeyScope.SUPPORT_WRITE], HOUR);
  const other = await createKey(user, [ApiKeyScope.SUPPORT_WRITE], 2 * HOUR);
  const grant = await introspectApiKey(h, secret);
  assert.deepEqual(grant, {
    apiKeyId: key.apiKeyId,
    userId: user.userId,
    role: 'user',
    scopes: ['support:write'],
    expiresAt: h.clock.now().getTime() + HOUR,
  });

  // The role is the account's current one.
  await h.setRole(user.userId, 'moderator');
  assert.equal((await introspectApiKey(h, secret))?.role, 'moderator');

  // Disabled account.
  await h.app.database.db
    .updateTable('accounts')
    .set({ disabled_at: h.clock.now() })
    .where('id', '=', user.userId)
    .execute();
  assert.equal(await introspectApiKey(h, secret), null);
  await h.app.database.db
    .updateTable('accounts')
    .set({ disabled_at: null })
    .where('id', '=', user.userId)
    .execute();
  assert.notEqual(await introspectApiKey(h, secret), null);

  // Revoked.
  assert.notEqual(await introspectApiKey(h, other.secret), null);
  await h.as(user.accessToken).auth.revokeApiKey({ apiKeyId: other.key.apiKeyId });
  assert.equal(await introspectApiKey(h, other.secret), null);

  // Expired (by the service clock).
  h.clock.advance(HOUR - 1);
  assert.notEqual(await introspectApiKey(h, secret), null);
  h.clock.advance(1);
  assert.equal(await introspectApiKey(h, secret), null);

  // Unknown and malformed.
  assert.equal(await introspectApiKey(h, 'kith_ak_' + 'A'.repeat(43)), null);
  const malformed = await h.app.bus.request(
    API_KEY_INTROSPECT_SUBJECT,
    new TextEncoder().encode('nope'),
    { headers: { [INTROSPECT_NONCE_HEADER]: 'n1' } },
  );
  const binding = { keyHash: 'nope', nonce: 'n1' };
  assert.equal(
    await verifyGrant(malformed, binding, h.app.keys.verificationKeys, h.clock.now()),
    null,
  );
});

test('introspection records last use at most once a minute', async () => {
  const user = await seedUser(h);
  const { key, secret } = await createKey(user, [ApiKeyScope.POSTS_READ]);
  const lastUsed = async () =>
    (
      await h.app.database.db
        .selectFrom('api_keys')
        .select('last_used_at')
        .where('id', '=', key.apiKeyId)
        .executeTakeFirstOrThrow()
    ).last_used_at?.getTime();
  assert.equal(await lastUsed(), undefined);
  const first = h.clock.now().getTime();
  await introspectApiKey(h, secret);
  assert.equal(await lastUsed(), first);
  h.clock.advance(59_000);
  await introspectApiKey(h, secret);
  assert.equal(await lastUsed(), first);
  h.clock.advance(1_000);
  await introspectApiKey(h, secret);
  assert.equal(await lastUsed(), first + 60_000);
  const listed = await h.as(user.accessToken).auth.listApiKeys({});
  assert.equal(timestampMs(listed.apiKeys[0]!.lastUsedAt!), first + 60_000);
});

test("user B sees only B's keys and cannot revoke A's (NotFound)", async () => {
  const a = await seedUser(h);
  const b = await seedUser(h);
  const { key, secret } = await createKey(a, [ApiKeyScope.POSTS_READ]);
  const bKey = await createKey(b, [ApiKeyScope.POSTS_WRITE]);
  const bList = await h.as(b.accessToken).auth.listApiKeys({ includeInactive: true });
  assert.deepEqual(
    bList.apiKeys.map((k) => k.apiKeyId),
    [bKey.key.apiKeyId],
  );
  assert.equal(
    await codeOf(h.as(b.accessToken).auth.revokeApiKey({ apiKeyId: key.apiKeyId })),
    Code.NotFound,
  );
  assert.equal(
    await codeOf(h.as(b.accessToken).auth.revokeApiKey({ apiKeyId: crypto.randomUUID() })),
    Code.NotFound,
  );
  assert.notEqual(await introspectApiKey(h, secret), null);
  const aList = await h.as(a.accessToken).auth.listApiKeys({});
  assert.equal(aList.apiKeys[0]?.revokedAt, undefined);
});

test('ListApiKeys: newest first, keyset pages bound to the caller and the filter', async () => {
  const user = await seedUser(h);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    ids.push((await createKey(user, [ApiKeyScope.POSTS_READ])).key.apiKeyId);
    h.clock.advance(1_000);
  }
  await h.as(user.accessToken).auth.revokeApiKey({ apiKeyId: ids[1]! });
  const client = h.as(user.accessToken).auth;

  const active = await client.listApiKeys({});
  assert.deepEqual(
    active.apiKeys.map((k) => k.apiKeyId),
    [ids[2], ids[0]],
  );

  const seen: string[] = [];
  let pageToken = '';
  do {
    const page = await client.listApiKeys({ pageSize: 1, includeInactive: true, pageToken });
    assert.ok(page.apiKeys.length <= 1);
    seen.push(...page.apiKeys.map((k) => k.apiKeyId));
    pageToken = page.nextPageToken;
    if (pageToken) {
      // The token replays only the query that issued it.
      assert.equal(
        await codeOf(client.listApiKeys({ pageSize: 1, pageToken })),
        Code.InvalidArgument,
      );
      const other = await seedUser(h);
      assert.equal(
        await codeOf(
          h
            .as(other.accessToken)
            .auth.listApiKeys({ pageSize: 1, includeInactive: true, pageToken }),
        ),
        Code.InvalidArgument,
      );
    }
  } while (pageToken);
  assert.deepEqual(seen, [ids[2], ids[1], ids[0]]);
  const all = await client.listApiKeys({ includeInactive: true });
  assert.ok(all.apiKeys.find((k) => k.apiKeyId === ids[1])?.revokedAt);
});

test('RevokeApiKey is idempotent on an own key and audited once', async () => {
  const user = await seedUser(h);
  const { key } = await createKey(user, [ApiKeyScope.POSTS_READ]);
  await h.as(user.accessToken).auth.revokeApiKey({ apiKeyId: key.apiKeyId });
  h.clock.advance(5_000);
  await h.as(user.accessToken).auth.revokeApiKey({ apiKeyId: key.apiKeyId });
  const row = await h.app.database.db
    .selectFrom('api_keys')
    .select('revoked_at')
    .where('id', '=', key.apiKeyId)
    .executeTakeFirstOrThrow();
  assert.equal(row.revoked_at?.getTime(), h.clock.now().getTime() - 5_000);
  const audit = (await auditTrail(h, user.userId)).filter((e) => e.type === 'api_key_revoked');
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.details.api_key_id, key.apiKeyId);
});

test('sos:raise alone may raise an SOS; support:write may not; revocation bites at once', async () => {
  const user = await seedUser(h);
  const write = await createKey(user, [ApiKeyScope.SUPPORT_WRITE, ApiKeyScope.SUPPORT_READ]);
  const sos = await createKey(user, [ApiKeyScope.SOS_RAISE]);

  assert.equal(await codeOf(support(write.secret).raiseSos({})), Code.PermissionDenied);
  // Authenticated and in scope: the RPC itself answers (an SOS reaching nobody, saying so).
  assert.equal(await codeOf(support(sos.secret).raiseSos({})), 'ok');
  assert.equal(await codeOf(support(sos.secret).listIncidents({})), Code.PermissionDenied);
  assert.equal(await codeOf(support(write.secret).listIncidents({})), 'ok');
  // The grant is cached by now; revocation must still take effect on the very next call.
  assert.notEqual(await h.app.cache.get(apiKeyCacheKey(hashApiKey(sos.secret))), null);
  await h.as(user.accessToken).auth.revokeApiKey({ apiKeyId: sos.key.apiKeyId });
  assert.equal(await codeOf(support(sos.secret).raiseSos({})), Code.Unauthenticated);
  // The other key is untouched.
  assert.equal(await codeOf(support(write.secret).listIncidents({})), 'ok');
});

test('X-Api-Key works like the bearer form', async () => {
  const user = await seedUser(h);
  const sos = await createKey(user, [ApiKeyScope.SOS_RAISE]);
  const { createConnectTransport } = await import('@connectrpc/connect-node');
  const transport = createConnectTransport({
    baseUrl: h.url,
    httpVersion: '1.1',
    interceptors: [
      (next) => (req) => {
        req.header.set('x-api-key', sos.secret);
        return next(req);
      },
    ],
  });
  assert.equal(await codeOf(createClient(SupportService, transport).raiseSos({})), 'ok');
});
