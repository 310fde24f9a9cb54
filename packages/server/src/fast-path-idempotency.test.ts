import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createPostgresDatabase, migrate } from '@kith/db';
import type { Database } from '@kith/db';
import {
  createPostgresIdempotencyStore,
  defaultInterceptorChain,
  idempotencyMigrations,
} from '@kith/interceptors';
import type { IdempotencyTables } from '@kith/interceptors';
import { createTestSchema, requireService } from '@kith/testkit';
import type { TestSchema } from '@kith/testkit';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { SVC, asJson, decoded, json, send } from './fast-path-compare.js';
import type { Sent } from './fast-path-compare.js';
import { registerCompareService } from './fast-path-test-service.js';
import { createKithServer } from './server.js';
import type { KithServer } from './server.js';

// The idempotency interceptor over real Postgres, behind both paths: a first call, its replay
// (a preset response, marked `idempotent-replayed`), the same key with another request, and a
// malformed key answer alike. Each server has its own schema, so both see the same history.

const url = await requireService('postgres');
const logger = pino({ level: 'silent' });
const fingerprintKey = crypto.randomBytes(32);

describe.skipIf(url === undefined)('fast path and stock handler with idempotency keys', () => {
  const schemas: TestSchema[] = [];
  const databases: Database<IdempotencyTables>[] = [];
  const servers: KithServer[] = [];
  const fastRegistry = new Registry();
  let stockUrl: string;
  let fastUrl: string;

  async function build(fastPath: boolean): Promise<string> {
    const schema = await createTestSchema(url!, 'fastidem');
    schemas.push(schema);
    const database = createPostgresDatabase<IdempotencyTables>({ url: url!, schema: schema.name });
    databases.push(database);
    await migrate(database, idempotencyMigrations);
    const server = createKithServer({
      logger,
      port: 0,
      fastPath,
      ...(fastPath ? { metricsRegistry: fastRegistry } : {}),
      routes: registerCompareService,
      interceptors: defaultInterceptorChain({
        logger,
        authentication: {
          authenticators: [async () => undefined],
          publicMethods: new Set([`kith.test.v1.CompareService/Call`]),
        },
        idempotency: { store: createPostgresIdempotencyStore(database), fingerprintKey },
      }),
    });
    servers.push(server);
    return (await server.start()).url;
  }

  beforeAll(async () => {
    stockUrl = await build(false);
    fastUrl = await build(true);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(databases.map((d) => d.close()));
    await Promise.all(schemas.map((s) => s.drop()));
  });

  async function compare(req: Sent) {
    const stock = await send(stockUrl, req);
    const quick = await send(fastUrl, req);
    assert.deepEqual(quick, stock);
    return decoded(stock);
  }

  it('answers a first call, its replay, a reused key and a malformed key alike', async () => {
    const call = (text: string, key: string): Sent => ({
      path: `${SVC}/Call`,
      headers: { ...asJson, 'idempotency-key': key },
      body: json(text),
    });
    const first = await compare(call('once', 'key-1'));
    assert.equal(first.status, 200);
    assert.deepEqual(first.header('idempotent-replayed'), []);
    const replay = await compare(call('once', 'key-1'));
    assert.deepEqual(replay.header('idempotent-replayed'), ['true']);
    assert.deepEqual(replay.body, first.body);
    const reused = await compare(call('other', 'key-1'));
    assert.equal((reused.body as { code: string }).code, 'failed_precondition');
    const malformed = await compare(call('once', 'key with spaces'));
    assert.equal((malformed.body as { code: string }).code, 'invalid_argument');
    const metric = await fastRegistry.getSingleMetric('kith_rpc_fast_path_total')?.get();
    assert.equal(metric?.values[0]?.value, 4, 'the fast path served every call');
  });
});
