import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createTestSchema, requireService } from '@kith/testkit';
import type { TestSchema } from '@kith/testkit';
import { appliedEdgeVersionMigrations, applyEdgeEvent } from './edge-versions.js';
import type { EdgeEvent } from './edge-versions.js';
import { migrate } from './migrate.js';
import { createPostgresDatabase } from './postgres.js';
import type { Database } from './types.js';

const databaseUrl = await requireService('postgres');

describe.skipIf(!databaseUrl)('applyEdgeEvent on Postgres', () => {
  let schema: TestSchema;
  let database: Database;
  beforeAll(async () => {
    schema = await createTestSchema(databaseUrl!, 'edge_versions');
    database = createPostgresDatabase({ url: databaseUrl!, schema: schema.name, poolMax: 8 });
    await migrate(database, appliedEdgeVersionMigrations);
  });
  afterAll(async () => {
    await database?.close();
    await schema?.drop();
  });

  let pair = 0;
  const edge = () => ({ kind: 'follow', fromId: `a${++pair}`, toId: `b${pair}` });
  /** Delivers one event in its own transaction; returns whether `apply` ran. */
  const deliver = (event: EdgeEvent, apply: () => Promise<void> = async () => {}) =>
    database.transaction((trx) => applyEdgeEvent(trx, event, apply));

  test('only a version newer than the applied one is applied', async () => {
    const e = edge();
    assert.equal(await deliver({ ...e, version: 2n }), true);
    assert.equal(await deliver({ ...e, version: 2n }), false, 'a redelivery');
    assert.equal(await deliver({ ...e, version: 1n }), false, 'an older event');
    assert.equal(await deliver({ ...e, version: 3 }), true);
    // Another kind of edge between the same users counts on its own.
    assert.equal(await deliver({ ...e, kind: 'block', version: 1n }), true);
  });

  test('a failed apply leaves the version unrecorded, so the redelivery applies', async () => {
    const e = { ...edge(), version: 1n };
    await assert.rejects(
      deliver(e, async () => {
        throw new Error('projection failed');
      }),
    );
    let applied = 0;
    assert.equal(await deliver(e, async () => void applied++), true);
    assert.equal(applied, 1);
  });

  test('concurrent deliveries of one version apply it exactly once', async () => {
    const e = { ...edge(), version: 5n };
    let applied = 0;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => deliver(e, async () => void applied++)),
    );
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(applied, 1);
  });

  test('a version below 1 is refused', async () => {
    await assert.rejects(deliver({ ...edge(), version: 0n }), RangeError);
  });
});
