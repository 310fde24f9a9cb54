import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import {
  appliedNames,
  createContractMigrations,
  notesMigrations,
  tableExists,
  type ContractDB,
} from './contract-fixtures.js';
import { migrate, MigrationFailedError, runMigrateCli, UnknownMigrationError } from './migrate.js';
import { createPageTokenCodec, InvalidPageTokenError, type PageCursor } from './page-token.js';
import { paginate, toPage, type KeysetColumn } from './pagination.js';
import { liveAt } from './live-at.js';
import type { Database, LoggerLike, Trx } from './types.js';
import { withTables } from './with-tables.js';

/** What an adapter's test file provides: handles on one shared pool or instance. */
export interface DatabaseContractTarget {
  /**
   * A handle bound to `schema` (which may not exist yet) on the shared pool or instance,
   * reporting failed after-commit hooks to `logger`.
   */
  open(schema: string, logger?: LoggerLike): Database;
  /** Closes what setup opened; schemas are dropped by the suite before this runs. */
  teardown(): Promise<void>;
}

/** The behaviour every `Database` adapter must show; run it once per adapter. */
export function runDatabaseContract(
  name: string,
  setup: () => Promise<DatabaseContractTarget>,
): void {
  describe(`Database contract: ${name}`, () => {
    let target: DatabaseContractTarget;
    const prefix = `kc_${crypto.randomBytes(4).toString('hex')}`;
    const opened: Database[] = [];
    let count = 0;
    const fresh = <DB = ContractDB>(logger?: LoggerLike): Database<DB> => {
      const database = target.open(`${prefix}_${++count}`, logger) as Database<DB>;
      opened.push(database as Database);
      return database;
    };

    beforeAll(async () => {
      target = await setup();
    });

    afterAll(async () => {
      const any = opened[0];
      if (any) {
        for (const d of opened)
          await sql`drop schema if exists ${sql.id(d.schema)} cascade`.execute(
            any.db as Kysely<unknown>,
          );
      }
      for (const d of opened) await d.close();
      await target?.teardown();
    });

    test('handles on different schemas do not see each other’s tables', async () => {
      const a = fresh();
      const b = fresh();
      await migrate(a, notesMigrations);
      await a.db
        .insertInto('notes')
        .values({ id: 'a1', body: 'in a', created_at: new Date() })
        .execute();
      await assert.rejects(b.db.selectFrom('notes').selectAll().execute(), /does not exist/);

      await migrate(b, notesMigrations);
      await b.db
        .insertInto('notes')
        .values({ id: 'b1', body: 'in b', created_at: new Date() })
        .execute();
      assert.deepEqual(await a.db.selectFrom('notes').select('id').execute(), [{ id: 'a1' }]);
      assert.deepEqual(await b.db.selectFrom('notes').select('id').execute(), [{ id: 'b1' }]);
      const raw = await sql<{ id: string }>`select id from ${b.table('notes')}`.execute(a.db);
      assert.deepEqual(raw.rows, [{ id: 'b1' }], 'table() qualifies raw SQL with its own schema');
      assert.ok(await tableExists(a, 'notes'));
      await a.ping();
    });

    test('transaction commits on resolve and rolls back on throw', async () => {
      const d = fresh();
      await migrate(d, notesMigrations);
      const now = new Date();
      const result = await d.transaction(async (trx) => {
        await trx.insertInto('notes').values({ id: 'kept', body: 'x', created_at: now }).execute();
        return trx.selectFrom('notes').select('id').execute();
      });
      assert.deepEqual(result, [{ id: 'kept' }], 'a transaction sees its own writes');

      const boom = new Error('boom');
      await assert.rejects(
        d.transaction(async (trx) => {
          await trx
            .insertInto('notes')
            .values({ id: 'lost', body: 'x', created_at: now })
            .execute();
          await trx
            .updateTable('notes')
            .set({ body: 'changed' })
            .where('id', '=', 'kept')
            .execute();
          throw boom;
        }),
        (err) => err === boom,
      );
      assert.deepEqual(await d.db.selectFrom('notes').select(['id', 'body']).execute(), [
        { id: 'kept', body: 'x' },
      ]);
    });

    test('a query through db, or a second transaction, inside a transaction is refused at once', async () => {
      const d = fresh();
      await migrate(d, notesMigrations);
      const now = new Date();
      const outsideTrx = /query through `trx`, not `database.db`/;
      await assert.rejects(
        d.transaction(async (trx) => {
          await trx.insertInto('notes').values({ id: 'a', body: 'x', created_at: now }).execute();
          // A lazily reloading cache on the write path does exactly this.
          await d.db.selectFrom('notes').select('id').execute();
        }),
        (err: Error) => outsideTrx.test(err.message),
      );
      await assert.rejects(
        d.transaction(() => d.transaction(async () => 1)),
        /transaction/,
      );
      // Work started inside, awaited after the callback returned, is no longer refused.
      let later: Promise<unknown> | undefined;
      await d.transaction(async () => {
        later = new Promise((resolve) => setImmediate(resolve)).then(() =>
          d.db.selectFrom('notes').select('id').execute(),
        );
      });
      assert.deepEqual(await later, [], 'the refused transaction was rolled back');
    });

    test('onCommit work runs after COMMIT, in order, sees the committed rows, and is awaited', async () => {
      const d = fresh();
      await migrate(d, notesMigrations);
      const seen: string[] = [];
      // Registered from helpers the callback calls, as use cases do.
      const remember = (trx: Trx<ContractDB>, what: string) =>
        trx.onCommit(async () => {
          const rows = await d.db.selectFrom('notes').select('id').orderBy('id').execute();
          seen.push(`${what}:${rows.map((r) => r.id).join(',')}`);
        });
      const result = await d.transaction(async (trx) => {
        await trx
          .insertInto('notes')
          .values({ id: 'n1', body: 'x', created_at: new Date() })
          .execute();
        remember(trx, 'first');
        await trx
          .insertInto('notes')
          .values({ id: 'n2', body: 'y', created_at: new Date() })
          .execute();
        remember(trx, 'second');
        assert.deepEqual(seen, [], 'nothing runs before the commit');
        return 'done';
      });
      assert.equal(result, 'done');
      assert.deepEqual(
        seen,
        ['first:n1,n2', 'second:n1,n2'],
        'both ran, in order, outside the transaction, before transaction() resolved',
      );
    });

    test('onCommit work never runs when the transaction rolls back', async () => {
      const d = fresh();
      await migrate(d, notesMigrations);
      let ran = 0;
      await assert.rejects(
        d.transaction(async (trx) => {
          trx.onCommit(() => {
            ran++;
          });
          await trx
            .insertInto('notes')
            .values({ id: 'n1', body: 'x', created_at: new Date() })
            .execute();
          throw new Error('roll back');
        }),
        /roll back/,
      );
      // A statement that fails on the server aborts the transaction the same way.
      await assert.rejects(
        d.transaction(async (trx) => {
          trx.onCommit(() => {
            ran++;
          });
          await sql`select no_such_function()`.execute(trx);
        }),
        /no_such_function/,
      );
      assert.equal(ran, 0);
      assert.deepEqual(await d.db.selectFrom('notes').select('id').execute(), []);
    });

    test('a failing onCommit hook is logged, not thrown; the hooks after it still run', async () => {
      const logged: { obj: object; msg?: string }[] = [];
      const logger: LoggerLike = {
        info() {},
        warn() {},
        error: (obj, msg) => logged.push({ obj, msg }),
      };
      const d = fresh(logger);
      await migrate(d, notesMigrations);
      const boom = new Error('cache unreachable');
      let after = false;
      const result = await d.transaction(async (trx) => {
        await trx
          .insertInto('notes')
          .values({ id: 'kept', body: 'x', created_at: new Date() })
          .execute();
        trx.onCommit(async () => {
          throw boom;
        });
        trx.onCommit(() => {
          after = true;
        });
        return 42;
      });
      assert.equal(result, 42, 'the caller gets its result: the change is committed');
      assert.equal(after, true);
      assert.equal(logged.length, 1);
      assert.equal((logged[0]!.obj as { err?: unknown }).err, boom);
      assert.deepEqual(await d.db.selectFrom('notes').select('id').execute(), [{ id: 'kept' }]);
    });

    test('onCommitted listeners hear each committed topic once, with its details, never after a rollback', async () => {
      const d = fresh();
      await migrate(d, notesMigrations);
      const heard: string[][] = [];
      const unsubscribe = d.onCommitted('notes-changed', async (details) => {
        // Awaited before transaction() resolves, and after the commit: the rows are there.
        const rows = await d.db.selectFrom('notes').select('id').execute();
        heard.push([...details, `rows:${rows.length}`]);
      });
      let other = 0;
      d.onCommitted('other-topic', () => {
        other++;
      });
      await d.transaction(async (trx) => {
        await trx
          .insertInto('notes')
          .values({ id: 'a', body: 'x', created_at: new Date() })
          .execute();
        trx.notifyOnCommit('notes-changed', 'a');
        trx.notifyOnCommit('notes-changed', 'b');
        trx.notifyOnCommit('notes-changed', 'a');
      });
      assert.deepEqual(heard, [['a', 'b', 'rows:1']], 'once, deduplicated, in order');
      await assert.rejects(
        d.transaction(async (trx) => {
          trx.notifyOnCommit('notes-changed', 'c');
          throw new Error('roll back');
        }),
        /roll back/,
      );
      await d.transaction(async () => {});
      assert.equal(heard.length, 1, 'neither a rollback nor a transaction without the topic');
      assert.equal(other, 0);
      unsubscribe();
      await d.transaction(async (trx) => {
        trx.notifyOnCommit('notes-changed');
      });
      assert.equal(heard.length, 1, 'an unsubscribed listener hears nothing');
    });

    test('a failing onCommitted listener is logged, not thrown: the change is committed', async () => {
      const logged: object[] = [];
      const logger: LoggerLike = { info() {}, warn() {}, error: (obj) => logged.push(obj) };
      const d = fresh(logger);
      await migrate(d, notesMigrations);
      d.onCommitted('t', () => {
        throw new Error('listener broke');
      });
      const result = await d.transaction(async (trx) => {
        trx.notifyOnCommit('t');
        return 7;
      });
      assert.equal(result, 7);
      assert.equal(logged.length, 1);
    });

    test('withTables views a transaction through other tables and keeps its onCommit', async () => {
      const d = fresh();
      await migrate(d, notesMigrations);
      let committed = false;
      await d.transaction(async (trx) => {
        const notes = withTables<{ notes: ContractDB['notes'] }>(trx);
        await notes
          .insertInto('notes')
          .values({ id: 'v1', body: 'x', created_at: new Date() })
          .execute();
        notes.onCommit(() => {
          committed = true;
        });
      });
      assert.equal(committed, true);
    });

    test('liveAt keeps rows without an expiry or with one still ahead', async () => {
      const d = fresh<{ grants: { id: string; expires_at: Date | null } }>();
      await sql`create schema if not exists ${sql.id(d.schema)}`.execute(d.db);
      await sql`create table ${d.table('grants')} (id text primary key, expires_at timestamptz(3))`.execute(
        d.db,
      );
      const now = new Date('2026-06-01T12:00:00.000Z');
      await d.db
        .insertInto('grants')
        .values([
          { id: 'forever', expires_at: null },
          { id: 'later', expires_at: new Date(now.getTime() + 1) },
          { id: 'now', expires_at: now },
          { id: 'past', expires_at: new Date(now.getTime() - 1) },
        ])
        .execute();
      const live = await d.db
        .selectFrom('grants')
        .select('id')
        .where(liveAt(now))
        .orderBy('id')
        .execute();
      assert.deepEqual(live, [{ id: 'forever' }, { id: 'later' }], 'expiring at now is expired');
    });

    test('migrate creates the schema, applies in name order, and is idempotent', async () => {
      const d = fresh();
      const order: string[] = [];
      const migrations = createContractMigrations(order);
      assert.equal(await tableExists(d, 'items'), false);
      assert.deepEqual(await migrate(d, migrations), {
        applied: ['20260101T0000_items', '20260102T0000_items_tag'],
      });
      assert.deepEqual(order, ['20260101T0000_items', '20260102T0000_items_tag']);
      assert.deepEqual(await migrate(d, migrations), { applied: [] });
      assert.deepEqual(order.length, 2, 'nothing re-ran');
      assert.deepEqual(await appliedNames(d), ['20260101T0000_items', '20260102T0000_items_tag']);
      await d.db
        .insertInto('items')
        .values({ id: 'i1', payload: JSON.stringify({ n: 1 }), tag: 't' })
        .execute();
    });

    test('a failing migration rolls back entirely and the error propagates', async () => {
      const d = fresh();
      const failing = {
        ...notesMigrations,
        '20260201T0000_broken': {
          async up(db: Kysely<unknown>) {
            await db.schema.createTable('half_done').addColumn('id', 'text').execute();
            await sql`alter table ${d.table('notes')} add column extra text`.execute(db);
            await sql`select no_such_function()`.execute(db);
          },
        },
      };
      const error = await migrate(d, failing).then(
        () => assert.fail('migrate should reject'),
        (err: unknown) => err,
      );
      assert.ok(error instanceof MigrationFailedError);
      assert.equal(error.migration, '20260201T0000_broken');
      assert.match(String((error.cause as Error).message), /no_such_function/);
      assert.equal(await tableExists(d, 'half_done'), false);
      const columns = await sql<{
        column_name: string;
      }>`select column_name from information_schema.columns
        where table_schema = ${d.schema} and table_name = 'notes' order by column_name`.execute(
        d.db,
      );
      assert.deepEqual(
        columns.rows.map((r) => r.column_name),
        ['body', 'created_at', 'id'],
      );
      assert.deepEqual(await appliedNames(d), Object.keys(notesMigrations));

      const previousExitCode = process.exitCode;
      try {
        assert.equal(await runMigrateCli(d, failing), undefined);
        assert.equal(process.exitCode, 1, 'the CLI exits non-zero');
      } finally {
        process.exitCode = previousExitCode;
      }
      assert.deepEqual(await runMigrateCli(d, notesMigrations), { applied: [] });
    });

    test('refuses to run when the database has a migration the code does not know', async () => {
      const d = fresh();
      const order: string[] = [];
      const all = createContractMigrations(order);
      await migrate(d, all);
      const older = { '20260101T0000_items': all['20260101T0000_items']! };
      await assert.rejects(migrate(d, older), (err: unknown) => {
        assert.ok(err instanceof UnknownMigrationError);
        assert.deepEqual(err.names, ['20260102T0000_items_tag']);
        return true;
      });
    });

    test('keyset pagination walks 45 rows with ties in pages of 20, without gaps or duplicates', async () => {
      const d = fresh();
      await migrate(d, notesMigrations);
      const base = Date.parse('2026-01-01T00:00:00.000Z');
      // Nine distinct timestamps, five rows each: every page boundary falls inside a tie.
      const rows = Array.from({ length: 45 }, (_, i) => ({
        id: uuidv7(),
        body: `n${i}`,
        created_at: new Date(base + (i % 9) * 1000 + 7),
      }));
      await d.db.insertInto('notes').values(rows).execute();
      const codec = createPageTokenCodec(crypto.randomBytes(32));
      const binding = 'ListNotes|author=a|caller=u';

      const walk = async (columns: KeysetColumn[], pageSize: number) => {
        const seen: string[] = [];
        const sizes: number[] = [];
        let token: string | undefined;
        do {
          const cursor: PageCursor | undefined = token ? codec.decode(token, binding) : undefined;
          if (token)
            assert.throws(
              () => codec.decode(token!, 'ListNotes|author=b|caller=u'),
              InvalidPageTokenError,
            );
          const fetched = await paginate(d.db.selectFrom('notes').select(['id', 'created_at']), {
            columns,
            pageSize,
            cursor,
          }).execute();
          const page = toPage(fetched, pageSize, (r) => ({ keys: [r.created_at], id: r.id }));
          seen.push(...page.items.map((r) => r.id));
          sizes.push(page.items.length);
          token = page.nextCursor ? codec.encode(page.nextCursor, binding) : undefined;
        } while (token);
        return { seen, sizes };
      };

      const byTime = (a: (typeof rows)[number], b: (typeof rows)[number]) =>
        a.created_at.getTime() - b.created_at.getTime();
      const byId = (a: (typeof rows)[number], b: (typeof rows)[number]) =>
        a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

      const desc = await walk(
        [
          { ref: 'created_at', direction: 'desc' },
          { ref: 'id', direction: 'desc' },
        ],
        20,
      );
      assert.deepEqual(desc.sizes, [20, 20, 5]);
      const expectedDesc = [...rows].sort((a, b) => byTime(b, a) || byId(b, a)).map((r) => r.id);
      assert.deepEqual(desc.seen, expectedDesc);

      const mixed = await walk(
        [
          { ref: 'created_at', direction: 'asc' },
          { ref: 'id', direction: 'desc' },
        ],
        7,
      );
      assert.deepEqual(mixed.sizes, [7, 7, 7, 7, 7, 7, 3]);
      assert.deepEqual(
        mixed.seen,
        [...rows].sort((a, b) => byTime(a, b) || byId(b, a)).map((r) => r.id),
      );
    });

    test('jsonb, ON CONFLICT … RETURNING, FOR UPDATE SKIP LOCKED and int8 behave like Postgres', async () => {
      const d = fresh();
      await migrate(d, createContractMigrations([]));
      const upsert = (id: string, payload: unknown) =>
        d.db
          .insertInto('items')
          .values({ id, payload: JSON.stringify(payload), tag: 'job' })
          .onConflict((oc) =>
            oc.column('id').doUpdateSet({ attempts: sql`${sql.ref('items.attempts')} + 1` }),
          )
          .returning(['id', 'attempts', 'payload'])
          .executeTakeFirstOrThrow();
      assert.deepEqual(await upsert('j1', { kind: 'mail', to: ['a', 'b'] }), {
        id: 'j1',
        attempts: 0,
        payload: { kind: 'mail', to: ['a', 'b'] },
      });
      assert.equal((await upsert('j1', { kind: 'ignored' })).attempts, 1);
      await upsert('j2', { kind: 'push' });

      const mail = await d.db
        .selectFrom('items')
        .select('id')
        .where(sql<boolean>`payload @> ${JSON.stringify({ kind: 'mail' })}::jsonb`)
        .execute();
      assert.deepEqual(mail, [{ id: 'j1' }]);

      const claimed = await d.transaction((trx) =>
        trx
          .selectFrom('items')
          .select('id')
          .where('tag', '=', 'job')
          .orderBy('id')
          .limit(1)
          .forUpdate()
          .skipLocked()
          .execute(),
      );
      assert.deepEqual(claimed, [{ id: 'j1' }]);

      const updated = await d.db.updateTable('items').set({ tag: 'done' }).executeTakeFirst();
      assert.equal(updated.numUpdatedRows, 2n);
      const { count } = await d.db
        .selectFrom('items')
        .select((eb) => eb.fn.countAll().as('count'))
        .executeTakeFirstOrThrow();
      assert.equal(count, '2', 'int8 arrives as a string on every adapter');
    });
  });
}
