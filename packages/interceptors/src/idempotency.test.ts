import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import type { Interceptor } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { principalKey } from '@kith/context';
import { createPostgresDatabase, migrate } from '@kith/db';
import type { Database } from '@kith/db';
import { createTestSchema, requireService } from '@kith/testkit';
import type { TestSchema } from '@kith/testkit';
import { sql } from 'kysely';
import { createErrorMappingInterceptor } from './error-mapping.js';
import { createIdempotencyInterceptor } from './idempotency.js';
import {
  createPostgresIdempotencyStore,
  idempotencyMigrations,
  purgeIdempotencyKeys,
} from './idempotency-store.js';
import type { IdempotencyTables } from './idempotency-store.js';
import {
  EchoService,
  captureLogger,
  registerEchoService,
  startEchoServer,
} from './test-service.js';
import type { EchoServer } from './test-service.js';

const url = await requireService('postgres');
const fingerprintKey = crypto.randomBytes(32);

/** Test stand-in for authentication: the caller named by `x-test-user`. */
const testUser: Interceptor = (next) => (req) => {
  const user = req.header.get('x-test-user');
  if (user)
    req.contextValues.set(principalKey, {
      userId: user,
      role: 'user',
      via: 'access_token',
      scopes: ['*'],
      issuedAt: 0,
    });
  return next(req);
};

describe.skipIf(url === undefined)('idempotency over Postgres', () => {
  let schema: TestSchema;
  let database: Database<IdempotencyTables>;
  let server: EchoServer;
  let client: ReturnType<typeof createClient<typeof EchoService>>;

  beforeAll(async () => {
    schema = await createTestSchema(url!, 'idem');
    database = createPostgresDatabase<IdempotencyTables>({ url: url!, schema: schema.name });
    await migrate(database, idempotencyMigrations);
    const { logger } = captureLogger();
    server = await startEchoServer([
      createErrorMappingInterceptor({ logger }),
      testUser,
      createIdempotencyInterceptor({
        store: createPostgresIdempotencyStore(database),
        fingerprintKey,
      }),
    ]);
    client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
  });
  afterAll(async () => {
    await server?.stop();
    await database?.close();
    await schema?.drop();
  });

  it('replays the first response without running the handler again', async () => {
    const start = server.calls.count;
    const first = await client.echo({ text: 'hello', idempotencyKey: 'key-replay' });
    const second = await client.echo({ text: 'hello', idempotencyKey: 'key-replay' });
    assert.deepEqual(second, first);
    assert.equal(server.calls.count, start + 1);
    // Without a key every call runs.
    await client.echo({ text: 'hello' });
    await client.echo({ text: 'hello' });
    assert.equal(server.calls.count, start + 3);
  });

  it('honours the Idempotency-Key header and marks replays', async () => {
    const post = () =>
      fetch(`${server.url}/kith.test.v1.EchoService/Echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'header-key-1' },
        body: '{"text":"via header"}',
      });
    const first = await post();
    const firstBody = await first.json();
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const second = await post();
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await second.json(), firstBody);
  });

  it('stores a keyed MAC of the request, not a hash a guessed password can be checked against', async () => {
    const request = { text: 'hunter2', idempotencyKey: 'key-fingerprint' };
    await client.echo(request);
    const row = await database.db
      .selectFrom('idempotency_keys')
      .select('request_hash')
      .where('key', '=', request.idempotencyKey)
      .executeTakeFirstOrThrow();
    const bytes = toBinary(
      EchoService.method.echo.input,
      create(EchoService.method.echo.input, request),
    );
    const plain = crypto.createHash('sha256').update(bytes).digest('hex');
    assert.notEqual(row.request_hash, plain, 'the guess "hunter2" does not reproduce it');
    const keyed = crypto.createHmac('sha256', fingerprintKey).update(bytes).digest('hex');
    assert.equal(row.request_hash, keyed, 'only the holder of the service key does');
  });

  it('refuses the same key with a different request', async () => {
    await client.echo({ text: 'one', idempotencyKey: 'key-mismatch' });
    const ran = server.calls.count;
    await assert.rejects(
      client.echo({ text: 'two', idempotencyKey: 'key-mismatch' }),
      (e: ConnectError) => e.code === Code.FailedPrecondition,
    );
    assert.equal(server.calls.count, ran);
  });

  it('scopes keys per caller', async () => {
    const alice = await client.echo(
      { text: 'same', idempotencyKey: 'shared' },
      { headers: { 'x-test-user': 'alice' } },
    );
    const bob = await client.echo(
      { text: 'other', idempotencyKey: 'shared' },
      { headers: { 'x-test-user': 'bob' } },
    );
    assert.equal(alice.text, 'same');
    assert.equal(bob.text, 'other');
  });

  it('does not store errors, so the client may retry', async () => {
    const start = server.calls.count;
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        client.echo({ text: 'missing', idempotencyKey: 'key-error' }),
        (e: ConnectError) => e.code === Code.NotFound,
      );
    }
    assert.equal(server.calls.count, start + 2);
    assert.equal((await client.echo({ text: 'fixed', idempotencyKey: 'key-error' })).text, 'fixed');
  });

  it('answers Aborted to a duplicate while the first call is in flight', async () => {
    const first = client.echo({ text: 'slow:400', idempotencyKey: 'key-concurrent' });
    await new Promise((r) => setTimeout(r, 100));
    const err = await client.echo({ text: 'slow:400', idempotencyKey: 'key-concurrent' }).then(
      () => assert.fail('expected Aborted'),
      (e: unknown) => ConnectError.from(e),
    );
    assert.equal(err.code, Code.Aborted);
    assert.equal(err.rawMessage, 'request in progress');
    assert.equal((await first).text, 'slow:400');
  });

  it('purges old keys, after which the key is fresh again', async () => {
    const first = await client.echo({ text: 'old', idempotencyKey: 'key-purge' });
    await database.db
      .updateTable('idempotency_keys')
      .set({ created_at: sql<Date>`now() - interval '25 hours'` })
      .where('key', '=', 'key-purge')
      .execute();
    const removed = await purgeIdempotencyKeys(database, new Date(Date.now() - 24 * 3600_000));
    assert.equal(removed, 1);
    const again = await client.echo({ text: 'old', idempotencyKey: 'key-purge' });
    assert.ok(again.calls > first.calls, 'the handler ran again');
  });

  it('refuses to replay where handlers cannot be skipped (outside createKithServer)', async () => {
    const calls = { count: 0 };
    const { logger } = captureLogger();
    const transport = createRouterTransport((router) => registerEchoService(router, calls), {
      router: {
        interceptors: [
          createErrorMappingInterceptor({ logger }),
          createIdempotencyInterceptor({
            store: createPostgresIdempotencyStore(database),
            fingerprintKey,
          }),
        ],
      },
    });
    const routerClient = createClient(EchoService, transport);
    await routerClient.echo({ text: 'once', idempotencyKey: 'key-router' });
    await assert.rejects(
      routerClient.echo({ text: 'once', idempotencyKey: 'key-router' }),
      (e: ConnectError) => e.code === Code.Internal,
    );
    assert.equal(calls.count, 1, 'the handler never ran twice');
  });

  it('lets a new call take over a claim abandoned by a dead process', async () => {
    const store = createPostgresIdempotencyStore(database, { abandonAfterMs: 50 });
    assert.deepEqual(await store.begin('s', 'k', 'h1'), { state: 'started' });
    assert.deepEqual(await store.begin('s', 'k', 'h1'), {
      state: 'in_progress',
      requestHash: 'h1',
    });
    await new Promise((r) => setTimeout(r, 120));
    assert.deepEqual(await store.begin('s', 'k', 'h1'), { state: 'started' });
    await store.complete('s', 'k', new Uint8Array([1, 2]));
    const done = await store.begin('s', 'k', 'h1');
    assert.equal(done.state, 'completed');
    assert.deepEqual(done.state === 'completed' && [...done.response], [1, 2]);
  });
});
