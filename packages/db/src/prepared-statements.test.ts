import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { createTestSchema, requireService, type TestSchema } from '@kith/testkit';
import { createPostgresDatabase } from './postgres.js';
import type { Database } from './types.js';

const databaseUrl = await requireService('postgres');

interface Tables {
  items: { id: number; label: string };
}

describe.skipIf(databaseUrl ? false : 'DATABASE_URL unavailable')('prepared statements', () => {
  const url = databaseUrl ?? '';
  let schema: TestSchema;
  let probe: pg.Pool;

  beforeAll(async () => {
    schema = await createTestSchema(url, 'dbprep');
    probe = new pg.Pool({ connectionString: url, max: 1 });
    await probe.query(
      `create table ${schema.name}.items (id int primary key, label text not null)`,
    );
    await probe.query(
      `insert into ${schema.name}.items select i, 'item ' || i from generate_series(1, 20) i`,
    );
  });

  afterAll(async () => {
    await probe.end();
    await schema.drop();
  });

  /** One connection, so every statement and the check run on the same session. */
  const open = (preparedStatements?: number) =>
    createPostgresDatabase<Tables>({ url, schema: schema.name, poolMax: 1, preparedStatements });

  const preparedOnSession = async (d: Database<Tables>) => {
    const { rows } = await sql<{
      statement: string;
    }>`select statement from pg_prepared_statements order by prepare_time`.execute(d.db);
    return rows.map((r) => r.statement);
  };

  const label = (db: Kysely<Tables>, id: number) =>
    db.selectFrom('items').select('label').where('id', '=', id).executeTakeFirstOrThrow();

  test('a statement sent a second time on a connection is prepared there and answers as before', async () => {
    const d = open();
    try {
      assert.deepEqual(await label(d.db, 1), { label: 'item 1' });
      assert.deepEqual(await preparedOnSession(d), [], 'not prepared on first use');
      assert.deepEqual(await label(d.db, 2), { label: 'item 2' });
      assert.deepEqual(await label(d.db, 3), { label: 'item 3' });
      const prepared = await preparedOnSession(d);
      assert.equal(prepared.length, 1);
      assert.match(prepared[0]!, /select "label" from "dbprep_\w+"\."items" where "id" = \$1/);
      // Inside a transaction too, and a failed statement leaves the prepared one usable.
      await assert.rejects(
        d.transaction(async (trx) => {
          assert.deepEqual(await label(trx, 4), { label: 'item 4' });
          await sql`select 1 / 0`.execute(trx);
        }),
        /division by zero/,
      );
      assert.deepEqual(await label(d.db, 5), { label: 'item 5' });
    } finally {
      await d.close();
    }
  });

  test('each connection keeps at most the configured number, the least recently used going first', async () => {
    const d = open(3);
    const byLength = (n: number) =>
      d.db
        .selectFrom('items')
        .select('id')
        .where(
          'id',
          'in',
          Array.from({ length: n }, (_, i) => i + 1),
        )
        .execute();
    try {
      for (let round = 0; round < 2; round++) for (let n = 1; n <= 8; n++) await byLength(n);
      await byLength(1); // dropped long ago: seen again, not yet prepared
      await byLength(8); // the most recent stays prepared
      const prepared = await preparedOnSession(d);
      assert.equal(prepared.length, 3);
      assert.ok(prepared.some((s) => s.includes('$8)')));
      assert.deepEqual(
        (await byLength(8)).map((r) => r.id),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
    } finally {
      await d.close();
    }
  });

  test('0 turns preparing off', async () => {
    const d = open(0);
    try {
      for (let id = 1; id <= 3; id++) await label(d.db, id);
      assert.deepEqual(await preparedOnSession(d), []);
    } finally {
      await d.close();
    }
  });

  test('a transaction begins with its first statement: all of it inside, undone by a rollback, and an empty one opens nothing', async () => {
    for (const prepared of [undefined, 0]) {
      const d = open(prepared);
      /** One `begin` with the first statement: the server's count of transactions moves once. */
      const txid = async (db: Kysely<Tables>) =>
        Number((await sql<{ id: string }>`select txid_current() as id`.execute(db)).rows[0]!.id);
      const insert = (db: Kysely<Tables>, id: number) =>
        db
          .insertInto('items')
          .values({ id, label: `new ${id}` })
          .execute();
      const present = async (id: number) =>
        (await d.db.selectFrom('items').select('id').where('id', '=', id).execute()).length;
      try {
        // Every statement of the transaction, the first one too, sees one transaction id.
        const ids = await d.transaction(async (trx) => [
          await txid(trx),
          await txid(trx),
          await label(trx, 1).then(() => txid(trx)),
        ]);
        assert.equal(new Set(ids).size, 1, `one transaction: ${ids.join(', ')}`);
        // A first statement without parameters may hold several (the simple protocol's way).
        const [a, b] = await d.transaction(async (trx) => {
          await sql`select 1; select 2`.execute(trx);
          return [await txid(trx), await txid(trx)];
        });
        assert.equal(a, b);
        // The first statement is inside the transaction: a rollback undoes it.
        for (let i = 0; i < 3; i++) {
          await assert.rejects(
            d.transaction(async (trx) => {
              await insert(trx, 100 + i);
              throw new Error('changed my mind');
            }),
            /changed my mind/,
          );
          assert.equal(await present(100 + i), 0, 'rolled back');
        }
        // A first statement that fails rolls back cleanly, and the connection serves on.
        await assert.rejects(
          d.transaction(async (trx) => insert(trx, 1)),
          /duplicate key/,
        );
        await d.transaction(async (trx) => {
          await label(trx, 2);
          await insert(trx, 110);
        });
        assert.equal(await present(110), 1);
        // An empty transaction leaves no transaction open: two reads after it are two.
        await d.transaction(async () => {});
        assert.notEqual(await txid(d.db), await txid(d.db));
      } finally {
        await probe.query(`delete from ${schema.name}.items where id >= 100`);
        await d.close();
      }
    }
  });

  test('a table changed under a prepared `select *` is read again: retried outside a transaction, failed once inside one', async () => {
    const d = open();
    const row = (db: Kysely<Tables>, id: number) =>
      db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    try {
      await row(d.db, 1);
      await row(d.db, 2);
      assert.equal((await preparedOnSession(d)).length, 1);
      // A migration run by another process while this one serves.
      await probe.query(`alter table ${schema.name}.items add column extra text default 'x'`);
      assert.deepEqual(await row(d.db, 3), { id: 3, label: 'item 3', extra: 'x' });

      await row(d.db, 4);
      await row(d.db, 5); // prepared again
      assert.equal((await preparedOnSession(d)).length, 1);
      await probe.query(`alter table ${schema.name}.items add column more int default 7`);
      await assert.rejects(
        d.transaction(async (trx) => row(trx, 6)),
        /cached plan must not change result type/,
      );
      assert.deepEqual(await row(d.db, 7), { id: 7, label: 'item 7', extra: 'x', more: 7 });
      assert.deepEqual(
        await preparedOnSession(d),
        [],
        'the stale statements were deallocated once the transaction had ended',
      );
    } finally {
      await d.close();
      await probe.query(`alter table ${schema.name}.items drop column extra, drop column more`);
    }
  });
});
