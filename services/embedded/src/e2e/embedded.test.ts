import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { HealthCheckResponse_ServingStatus, Health } from '@kith/gen/grpc/health/v1/health_pb.js';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { recordEvent, startEmbedded } from '@kith/runtime';
import type { RunningKith } from '@kith/runtime';
import { createRootLogger } from '@kith/logging';
import { waitFor } from '@kith/testkit';
import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { allModules } from '../modules.js';
import { countRows, kithServices, listServicesWithBufCurl, tableCounts } from './helpers.js';

const silent = createRootLogger({ level: 'silent' });

async function boot(dataDir: string): Promise<RunningKith> {
  return startEmbedded(allModules, {
    env: { KITH_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', MAX_BODY_BYTES: '65536' },
    logger: silent,
  });
}

function registration(userId: string, username: string) {
  return {
    source: 'auth',
    actor: { service: 'auth' },
    payload: {
      case: 'authUserRegistered' as const,
      value: { userId, username, email: `${username}@example.test`, locale: 'en' },
    },
  };
}

/** The ConnectError a call fails with; a call that succeeds fails the test. */
async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail('expected the call to fail');
}

function services(kith: RunningKith) {
  const auth = kith.contexts.get('auth')?.database;
  const user = kith.contexts.get('user')?.database;
  assert.ok(auth && user);
  return { auth, user };
}

describe('embedded mode', () => {
  let dataDir: string;
  let kith: RunningKith;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-e2e-'));
    kith = await boot(dataDir);
  });
  afterAll(async () => {
    await kith?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('reflection lists every service, over the real buf curl client', async () => {
    const listed = await listServicesWithBufCurl(kith.url);
    for (const name of kithServices) assert.ok(listed.includes(name), `${name} listed`);
    assert.ok(listed.includes('grpc.health.v1.Health'));
    // Internal contracts are NATS request/reply only: no module serves one over HTTP.
    const internal = listed.filter((name) => name.endsWith('InternalService'));
    assert.deepEqual(internal, []);
  });

  test('is ready, and answers gRPC over h2c and Connect JSON over HTTP/1.1 on one port', async () => {
    const ready = await fetch(`${kith.url}/readyz`);
    assert.equal(ready.status, 200);
    const grpc = createClient(Health, createGrpcTransport({ baseUrl: kith.url }));
    const viaGrpc = await grpc.check({ service: '' });
    assert.equal(viaGrpc.status, HealthCheckResponse_ServingStatus.SERVING);
    const viaConnect = await fetch(`${kith.url}/grpc.health.v1.Health/Check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(viaConnect.status, 200);
    assert.deepEqual(await viaConnect.json(), { status: 'SERVING' });
  });

  test('rejects malformed requests with field violations and writes nothing', async () => {
    const { auth, user } = services(kith);
    const before = { auth: await tableCounts(auth), user: await tableCounts(user) };
    const transport = createConnectTransport({ baseUrl: kith.url, httpVersion: '1.1' });
    const users = createClient(UserService, transport);
    const authClient = createClient(AuthService, transport);

    const badUuid = await rpcError(
      users.getProfile({ lookup: { case: 'userId', value: 'not-a-uuid' } }),
    );
    assert.equal(badUuid.code, Code.InvalidArgument);
    assert.match(badUuid.rawMessage, /user_id/);

    const oversize = await rpcError(
      authClient.register(
        { email: 'a@example.test', password: 'x'.repeat(129), username: 'ok_name', consent: {} },
        { headers: { 'idempotency-key': 'e2e-oversize-0001' } },
      ),
    );
    assert.equal(oversize.code, Code.InvalidArgument);
    assert.match(oversize.rawMessage, /password/);

    const missing = await rpcError(
      authClient.register({
        email: 'a@example.test',
        password: 'correct horse battery',
        username: 'ok_name',
      }),
    );
    assert.equal(missing.code, Code.InvalidArgument);
    assert.match(missing.rawMessage, /consent/);

    const huge = await fetch(`${kith.url}/kith.auth.v1.AuthService/Register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@example.test', username: 'x'.repeat(100_000) }),
    });
    assert.notEqual(huge.status, 200);
    const hugeBody = (await huge.json()) as { code: string };
    assert.equal(hugeBody.code, 'resource_exhausted');

    const unknown = await fetch(`${kith.url}/kith.auth.v1.AuthService/NoSuchMethod`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(unknown.status, 404);
    // A public method over gRPC, anonymously: an unknown profile answers NotFound.
    const grpc = createClient(UserService, createGrpcTransport({ baseUrl: kith.url }));
    const unknownProfile = await rpcError(
      grpc.getProfile({
        lookup: { case: 'userId', value: '0190a6b4-0000-7000-8000-000000000001' },
      }),
    );
    assert.equal(unknownProfile.code, Code.NotFound);

    assert.deepEqual({ auth: await tableCounts(auth), user: await tableCounts(user) }, before);
  });

  test('an event in the auth outbox is consumed by the user service exactly once, also when redelivered', async () => {
    const { auth, user } = services(kith);
    const first = uuidv7();
    const eventId = await auth.transaction((trx) =>
      recordEvent(trx, registration(first, 'first_user')),
    );
    await waitFor(async () => (await countRows(user, 'profiles', sql`user_id = ${first}`)) === 1, {
      what: 'profile created from the registration event',
    });

    // Redeliver the same event (same id) past the broker's dedup, then a fresh one behind it:
    // once the second is applied the duplicate has been seen too.
    const outbox = await sql<{ data: Uint8Array; headers: Record<string, string> }>`
      select data, headers from ${sql.table('auth.outbox')} where id = ${eventId}`.execute(auth.db);
    const row = outbox.rows[0];
    assert.ok(row);
    await kith.contexts.get('auth')!.bus.publish(
      {
        id: eventId,
        subject: 'kith.events.auth.user_registered',
        data: row.data,
        headers: row.headers,
      },
      { dedupKey: uuidv7() },
    );
    const second = uuidv7();
    await auth.transaction((trx) => recordEvent(trx, registration(second, 'second_user')));
    await waitFor(async () => (await countRows(user, 'profiles', sql`user_id = ${second}`)) === 1, {
      what: 'second profile',
    });
    assert.equal(await countRows(user, 'profiles', sql`user_id = ${first}`), 1);
    // The profiles consumer's inbox (the user service has other consumers of auth's events).
    assert.equal(await countRows(user, 'inbox', sql`consumer like '%profiles-from-auth'`), 2);
    assert.equal(await countRows(user, 'dead_letters'), 0);
  });

  test('a rolled-back transaction publishes nothing', async () => {
    const { auth, user } = services(kith);
    const ghost = uuidv7();
    await assert.rejects(
      auth.transaction(async (trx) => {
        await recordEvent(trx, registration(ghost, 'ghost_user'));
        throw new Error('abort');
      }),
      /abort/,
    );
    const marker = uuidv7();
    await auth.transaction((trx) => recordEvent(trx, registration(marker, 'marker_user')));
    await waitFor(async () => (await countRows(user, 'profiles', sql`user_id = ${marker}`)) === 1);
    assert.equal(await countRows(user, 'profiles', sql`user_id = ${ghost}`), 0);
  });
});

describe('embedded mode across a restart', () => {
  test('events pending when the process stops are consumed exactly once after it starts again', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-e2e-restart-'));
    const ids = Array.from({ length: 30 }, () => uuidv7());
    try {
      let kith = await boot(dataDir);
      {
        const { auth } = services(kith);
        for (const [i, id] of ids.entries()) {
          await auth.transaction((trx) => recordEvent(trx, registration(id, `restart_user_${i}`)));
        }
      }
      // Stop mid-stream: some events are consumed, the rest wait in the outbox or the bus.
      await kith.stop();
      kith = await boot(dataDir);
      try {
        const { user } = services(kith);
        await waitFor(async () => (await countRows(user, 'profiles')) >= ids.length, {
          timeoutMs: 30_000,
          what: 'all profiles after restart',
        });
        assert.equal(await countRows(user, 'profiles'), ids.length);
        assert.equal(
          await countRows(user, 'inbox', sql`consumer like '%profiles-from-auth'`),
          ids.length,
        );
        assert.equal(await countRows(user, 'dead_letters'), 0);
      } finally {
        await kith.stop();
      }
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
