import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { apiKeyCacheKey, createRevocationCheck } from '@kith/authn';
import type { OutboxTables } from '@kith/bus';
import { decodeEvent } from '@kith/runtime';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { withTables } from '@kith/db';
import { seedUser, startAuthHarness } from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';
import { revocationBackstop } from './revocation-backstop.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness();
});
afterAll(() => h?.stop());

/** Delivers every outbox event of `type` to the backstop, as the inbox consumer would. */
async function replayOutbox(type: string): Promise<number> {
  const outbox = withTables<OutboxTables>(h.app.database.db);
  const rows = await outbox.selectFrom('outbox').select(['id', 'subject', 'data']).execute();
  const matching = rows.filter((r) => decodeEvent(r.data).type === type);
  const consumer = revocationBackstop(h.app);
  for (const row of matching) {
    await h.app.database.transaction((trx) =>
      consumer.handle(trx, {
        id: row.id,
        subject: row.subject,
        data: row.data,
        headers: {},
      }),
    );
  }
  return matching.length;
}

test('a revocation the cache lost (crash before publishing) is restored from the outbox event', async () => {
  const user = await seedUser(h);
  const isRevoked = createRevocationCheck(h.app.revocations);
  const principal = {
    userId: user.userId,
    sessionId: user.sessionId,
    role: 'user' as const,
    via: 'access_token' as const,
    scopes: ['*'],
    issuedAt: Math.floor(h.clock.now().getTime() / 1000) - 1,
  };
  await h.as(user.accessToken).auth.logout({});
  assert.equal(await isRevoked(principal), true);
  // The process "died" between commit and cache write: the cache never heard of it.
  await h.app.revocations.del(`authn:sid:${user.sessionId}`);
  assert.equal(await isRevoked(principal), false);
  assert.ok((await replayOutbox('auth.session_revoked')) >= 1);
  assert.equal(await isRevoked(principal), true);
});

test('a revoked API key whose cached grant survived is dropped by the backstop', async () => {
  const user = await seedUser(h);
  const created = await h.as(user.accessToken).auth.createApiKey({
    name: 'panic button',
    scopes: [ApiKeyScope.SOS_RAISE],
    proof: { case: 'currentPassword', value: user.password },
  });
  const row = await h.app.database.db
    .selectFrom('api_keys')
    .select('key_hash')
    .where('id', '=', created.apiKey!.apiKeyId)
    .executeTakeFirstOrThrow();
  await h.as(user.accessToken).auth.revokeApiKey({ apiKeyId: created.apiKey!.apiKeyId });
  // A verifier's grant written after the revocation's publish was lost: still cached.
  await h.app.cache.set(apiKeyCacheKey(row.key_hash), '{"stale":true}', { ttlMs: 60_000 });
  assert.ok((await replayOutbox('auth.api_key_revoked')) >= 1);
  assert.equal(await h.app.cache.get(apiKeyCacheKey(row.key_hash)), null);
});
