import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { createTestSchema, requireService, waitFor, type TestSchema } from '@kith/testkit';
import { migrate } from './migrate.js';
import { createPostgresDatabase } from './postgres.js';
import type { MigrationSet } from './types.js';

const databaseUrl = await requireService('postgres');

describe.skipIf(databaseUrl ? false : 'DATABASE_URL unavailable')('Postgres adapter', () => {
  const url = databaseUrl ?? '';
  let schema: TestSchema;
  let probe: pg.Pool;

  beforeAll(async () => {
    schema = await createTestSchema(url, 'dbpg');
    probe = new pg.Pool({ connectionString: url, max: 2 });
  });

  afterAll(async () => {
    await probe.end();
    await schema.drop();
  });

  test('two concurrent migrate runs on separate pools: one applies, the other waits and finds nothing', async () => {
    const name = `${schema.name}_race`;
    const runs: string[] = [];
    const migrations: MigrationSet = {
      '20260101T0000_a': {
        async up(db) {
          runs.push('a');
          await db.schema
            .createTable('a')
            .addColumn('id', 'text', (c) => c.primaryKey())
            .execute();
        },
      },
      '20260101T0001_slow': {
        async up(db) {
          runs.push('slow');
          // Long enough for the other run to be seen queuing on the advisory lock.
          await sql`select pg_sleep(0.8)`.execute(db);
          await db.schema.alterTable('a').addColumn('b', 'text').execute();
        },
      },
    };
    const first = createPostgresDatabase({ url, schema: name, poolMax: 2 });
    const second = createPostgresDatabase({ url, schema: name, poolMax: 2 });
    try {
      const both = Promise.all([migrate(first, migrations), migrate(second, migrations)]);
      await waitFor(
        async () => {
          const { rows } = await probe.query(
            `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and objid = hashtext($1)::oid`,
            [name],
          );
          return rows[0].n === 1;
        },
        { timeoutMs: 5000, what: 'the second run to wait on the migration lock' },
      );
      const results = await both;
      const applied = results.map((r) => r.applied).sort((x, y) => y.length - x.length);
      assert.deepEqual(applied, [['20260101T0000_a', '20260101T0001_slow'], []]);
      assert.deepEqual(runs, ['a', 'slow'], 'each migration ran exactly once');
    } finally {
      await sql`drop schema if exists ${sql.id(name)} cascade`.execute(first.db as Kysely<unknown>);
      await first.close();
      await second.close();
    }
  });

  test('statement timeout cancels a slow query; migrations are exempt and the limit comes back', async () => {
    const d = createPostgresDatabase({
      url,
      schema: schema.name,
      poolMax: 1,
      statementTimeoutMs: 150,
    });
    try {
      await assert.rejects(
        sql`select pg_sleep(2)`.execute(d.db),
        (err: { code?: string }) => err.code === '57014',
      );
      const result = await migrate(d, {
        '20260101T0000_slow': {
          async up(db) {
            await sql`select pg_sleep(0.3)`.execute(db);
          },
        },
      });
      assert.deepEqual(result.applied, ['20260101T0000_slow']);
      // poolMax 1: the same connection the migration used must have its timeout back.
      await assert.rejects(
        sql`select pg_sleep(1)`.execute(d.db),
        (err: { code?: string }) => err.code === '57014',
      );
    } finally {
      await d.close();
    }
  });

  test('FOR UPDATE SKIP LOCKED lets a second worker claim a different row', async () => {
    const d = createPostgresDatabase({ url, schema: schema.name, poolMax: 3 });
    try {
      await sql`create table ${d.table('jobs')} (id text primary key)`.execute(d.db);
      const jobs = d.db as Kysely<{ jobs: { id: string } }>;
      await jobs
        .insertInto('jobs')
        .values([{ id: 'j1' }, { id: 'j2' }])
        .execute();
      const claim = (trx: Kysely<{ jobs: { id: string } }>) =>
        trx
          .selectFrom('jobs')
          .select('id')
          .orderBy('id')
          .limit(1)
          .forUpdate()
          .skipLocked()
          .executeTakeFirst();
      const claimed = await jobs.transaction().execute(async (t1) => {
        const one = await claim(t1);
        const two = await jobs.transaction().execute((t2) => claim(t2));
        return [one?.id, two?.id];
      });
      assert.deepEqual(claimed, ['j1', 'j2']);
    } finally {
      await d.close();
    }
  });

  test('closing a Database built on a caller-owned pool leaves the pool open', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const d = createPostgresDatabase({ pool, schema: schema.name });
      await d.ping();
      await d.close();
      const { rows } = await pool.query('select 1 as x');
      assert.deepEqual(rows, [{ x: 1 }]);
    } finally {
      await pool.end();
    }
  });

  test('connections carry the application name', async () => {
    const d = createPostgresDatabase({ url, schema: schema.name, applicationName: 'kith-db-test' });
    try {
      const { rows } = await sql<{
        name: string;
      }>`select current_setting('application_name') as name`.execute(d.db);
      assert.deepEqual(rows, [{ name: 'kith-db-test' }]);
    } finally {
      await d.close();
    }
  });
});
