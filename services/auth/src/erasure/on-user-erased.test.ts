import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { apiKeyCacheKey, hashApiKey } from '@kith/authn';
import { encodeEvent, eventSubject } from '@kith/bus';
import type { EnvelopeInit } from '@kith/bus';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { ConsumedMessage } from '@kith/runtime';
import { uuidv7 } from 'uuidv7';
import { audit } from '../audit/audit-store.js';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import {
  auditTrail,
  outboxPayloads,
  rejectsWith,
  seedUser,
  startAuthHarness,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';
import { onUserErased } from './on-user-erased.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness();
});
afterAll(async () => {
  await h?.stop();
});

function message(payload: EnvelopeInit['payload']): ConsumedMessage {
  const envelope: EnvelopeInit = {
    id: uuidv7(),
    type: 'user.erased',
    occurredAt: timestampFromDate(h.clock.now()),
    actor: { kind: { case: 'service', value: 'user' } },
    schemaVersion: 1,
    source: 'user',
    payload,
  };
  return {
    id: envelope.id!,
    subject: 'kith.events.user.erased',
    data: encodeEvent(envelope),
    headers: {},
  };
}

/** Runs the consumer as the inbox does: in a transaction on the auth schema. */
async function deliver(msg: ConsumedMessage): Promise<void> {
  const consumer = onUserErased(h.app);
  await h.app.database.transaction((trx) => consumer.handle(trx, msg));
}

async function rowsOf(userId: string) {
  const db = h.app.database.db;
  const count = async (
    table:
      | 'sessions'
      | 'api_keys'
      | 'recovery_codes'
      | 'email_tokens'
      | 'oidc_identities'
      | 'mfa_challenges',
  ) => (await db.selectFrom(table).select('id').where('account_id', '=', userId).execute()).length;
  return {
    accounts: (await db.selectFrom('accounts').select('id').where('id', '=', userId).execute())
      .length,
    sessions: await count('sessions'),
    apiKeys: await count('api_keys'),
    recoveryCodes: await count('recovery_codes'),
    emailTokens: await count('email_tokens'),
    identities: await count('oidc_identities'),
    mfaChallenges: await count('mfa_challenges'),
  };
}

test('the consumer listens on the subject user.erased events are published on', () => {
  assert.equal(onUserErased(h.app).subjects, eventSubject('user.erased'));
});

test('user.erased deletes every credential, revokes tokens and keys at once, keeps the audit log', async () => {
  const user = await seedUser(h);
  const bystander = await seedUser(h);
  const { secret } = await h.as(user.accessToken).auth.createApiKey({
    name: 'k',
    scopes: [ApiKeyScope.POSTS_READ],
    proof: { case: 'currentPassword', value: user.password },
  });
  const now = h.clock.now();
  await h.app.database.transaction(async (trx) => {
    await trx
      .insertInto('recovery_codes')
      .values({ id: uuidv7(), account_id: user.userId, code_hash: 'h1', used_at: null })
      .execute();
    await trx
      .insertInto('email_tokens')
      .values({
        id: uuidv7(),
        account_id: user.userId,
        purpose: 'reset_password',
        token_hash: crypto.randomBytes(16).toString('hex'),
        email: user.email,
        created_at: now,
        expires_at: new Date(now.getTime() + 3_600_000),
        used_at: null,
      })
      .execute();
    await trx
      .insertInto('oidc_identities')
      .values({
        id: uuidv7(),
        account_id: user.userId,
        provider_id: 'google',
        issuer: 'https://accounts.google.com',
        subject: crypto.randomUUID(),
        email: user.email,
        linked_at: now,
      })
      .execute();
    await trx
      .insertInto('mfa_challenges')
      .values({
        id: uuidv7(),
        account_id: user.userId,
        token_hash: crypto.randomBytes(16).toString('hex'),
        methods: ['totp'],
        email_code_hash: null,
        created_at: now,
        expires_at: new Date(now.getTime() + 300_000),
        consumed_at: null,
        ip: '192.0.2.1',
        user_agent: 'test',
        device_label: '',
      })
      .execute();
    await audit(
      trx,
      { accountId: user.userId, meta: { ip: '192.0.2.1', userAgent: 'test', requestId: 'r' }, now },
      'login_succeeded',
    );
  });
  // A verifier somewhere holds the key's grant in the shared cache.
  await h.app.cache.set(apiKeyCacheKey(hashApiKey(secret)), '{}', { ttlMs: 60_000 });
  await h.as(user.accessToken).auth.listSessions({});
  assert.deepEqual(await rowsOf(user.userId), {
    accounts: 1,
    sessions: 1,
    apiKeys: 1,
    recoveryCodes: 1,
    emailTokens: 1,
    identities: 1,
    mfaChallenges: 1,
  });

  await deliver(message({ case: 'userErased', value: { userId: user.userId } }));

  assert.deepEqual(await rowsOf(user.userId), {
    accounts: 0,
    sessions: 0,
    apiKeys: 0,
    recoveryCodes: 0,
    emailTokens: 0,
    identities: 0,
    mfaChallenges: 0,
  });
  const refreshTokens = (sessionId: string) =>
    h.app.database.db
      .selectFrom('refresh_tokens')
      .select('id')
      .where('session_id', '=', sessionId)
      .execute();
  assert.equal((await refreshTokens(user.sessionId)).length, 0);
  assert.equal((await refreshTokens(bystander.sessionId)).length, 1, 'other users keep theirs');
  assert.equal((await rowsOf(bystander.userId)).sessions, 1);

  await rejectsWith(h.as(user.accessToken).auth.listSessions({}), Code.Unauthenticated);
  assert.equal(await h.app.cache.get(apiKeyCacheKey(hashApiKey(secret))), null);
  await h.as(bystander.accessToken).auth.listSessions({});

  const trail = await auditTrail(h, user.userId);
  assert.ok(trail.some((a) => a.type === 'login_succeeded'));
  assert.ok(trail.some((a) => a.type === 'api_key_created'));

  // Redelivery: the account is gone, nothing to do, no error.
  await deliver(message({ case: 'userErased', value: { userId: user.userId } }));
});

test('other user events on the subject are ignored', async () => {
  const user = await seedUser(h);
  await deliver(
    message({
      case: 'userErasureRequested',
      value: { userId: user.userId, scheduledFor: timestampFromDate(h.clock.now()) },
    }),
  );
  assert.equal((await rowsOf(user.userId)).accounts, 1);
  await h.as(user.accessToken).auth.listSessions({});
});

test('auth acknowledges its part of the erasure saga, also for a user it held nothing of', async () => {
  const acks = async (userId: string) =>
    (await outboxPayloads(h)).filter(
      (p) => p.case === 'dataErasureCompleted' && p.value.userId === userId,
    );
  const user = await seedUser(h);
  await deliver(message({ case: 'userErased', value: { userId: user.userId } }));
  const [ack, ...more] = await acks(user.userId);
  assert.equal(more.length, 0);
  assert.equal(ack?.case === 'dataErasureCompleted' && ack.value.service, KithService.AUTH);
  const stranger = crypto.randomUUID();
  await deliver(message({ case: 'userErased', value: { userId: stranger } }));
  assert.equal((await acks(stranger)).length, 1);
});
