import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { requireService } from '@kith/testkit';
import { runDatabaseContract } from './contract.js';
import { createPglite, createPgliteDatabase, type PgliteHandle } from './pglite.js';
import { migrate } from './migrate.js';
import { createPostgresDatabase } from './postgres.js';
import { SessionLockError } from './session-lock.js';

const databaseUrl = await requireService('postgres');

if (databaseUrl) {
  const url = databaseUrl;
  runDatabaseContract('postgres', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    return {
      open: (schema, logger) => createPostgresDatabase({ pool, schema, logger }),
      teardown: () => pool.end(),
    };
  });
} else {
  test.skip('Database contract: postgres (DATABASE_URL unavailable)', () => {});
}

// One PGlite per file: a fresh instance costs seconds.
let pglite: Promise<PgliteHandle> | undefined;
const sharedPglite = () => (pglite ??= createPglite());
afterAll(async () => {
  if (pglite) await (await pglite).close();
});

runDatabaseContract('pglite', async () => {
  const handle = await sharedPglite();
  return {
    open: (schema, logger) => createPgliteDatabase({ pglite: handle, schema, logger }),
    teardown: async () => {},
  };
});

describe('PGlite single session', () => {
  test('statements from other handles queue behind an open transaction instead of joining it', async () => {
    const handle = await sharedPglite();
    const a = createPgliteDatabase({ pglite: handle, schema: 'session_a' });
    // Given the bare instance rather than the handle: it must still share the session lock.
    const b = createPgliteDatabase({ pglite: handle.pglite, schema: 'session_b' });
    await sql`create schema if not exists session_a`.execute(a.db);
    await sql`create table session_a.t (n int)`.execute(a.db);
    let entered!: () => void;
    let proceed!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const gate = new Promise<void>((r) => (proceed = r));
    const transaction = a.transaction(async (trx) => {
      await sql`insert into ${a.table('t')} values (1)`.execute(trx);
      entered();
      await gate;
      throw new Error('roll back');
    });
    await inside;
    // Another service's request, issued while the transaction holds the session.
    let outsideDone = false;
    const outside = sql`insert into ${a.table('t')} values (2)`
      .execute(b.db)
      .then(() => (outsideDone = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(outsideDone, false, 'the other statement waits for the session');
    proceed();
    await assert.rejects(transaction, /roll back/);
    await outside;
    const { rows } = await sql<{ n: number }>`select n from ${a.table('t')}`.execute(a.db);
    assert.deepEqual(rows, [{ n: 2 }], 'the queued insert ran after the rollback, outside it');
    await sql`drop schema session_a cascade`.execute(a.db);
  });

  test('querying through db inside a transaction fails fast instead of deadlocking', async () => {
    const handle = await sharedPglite();
    const d = createPgliteDatabase({ pglite: handle, schema: 'session_c' });
    await assert.rejects(
      d.transaction(() => sql`select 1`.execute(d.db)),
      (err: unknown) => err instanceof SessionLockError && /trx/.test(err.message),
    );
    await assert.rejects(
      d.transaction(() => d.transaction(async () => 1)),
      SessionLockError,
    );
    assert.equal(handle.lock.held, false, 'the session was released');
    assert.deepEqual((await sql<{ x: number }>`select 1 as x`.execute(d.db)).rows, [{ x: 1 }]);
  });

  test('a stalled session makes waiters fail with a clear error after the acquire timeout', async () => {
    const handle = await sharedPglite();
    const release = await handle.lock.acquire();
    try {
      await assert.rejects(handle.lock.acquire(30), /waited 30 ms for the PGlite session/);
    } finally {
      release();
    }
    assert.equal(handle.lock.held, false);
  });

  test('streaming is refused with a clear error', async () => {
    const handle = await sharedPglite();
    const d = createPgliteDatabase({ pglite: handle, schema: 'session_d' });
    const stream = d.db.selectNoFrom(sql<number>`1`.as('x')).stream();
    await assert.rejects(stream.next(), /streamQuery is not supported/);
    assert.equal(handle.lock.held, false);
  });
});

test('a PGlite dataDir keeps committed data across close and reopen', async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-pglite-'));
  try {
    const first = await createPglite({ dataDir });
    const d1 = createPgliteDatabase({ pglite: first, schema: 'persisted' });
    await migrate(d1, {
      '20260101T0000_kv': {
        async up(db) {
          await db.schema
            .createTable('kv')
            .addColumn('k', 'text', (c) => c.primaryKey())
            .execute();
        },
      },
    });
    await sql`insert into ${d1.table('kv')} values ('kept')`.execute(d1.db);
    await first.close();

    const second = await createPglite({ dataDir });
    try {
      const d2 = createPgliteDatabase({ pglite: second, schema: 'persisted' });
      const { rows } = await sql<{ k: string }>`select k from ${d2.table('kv')}`.execute(d2.db);
      assert.deepEqual(rows, [{ k: 'kept' }]);
      assert.deepEqual(await migrate(d2, { '20260101T0000_kv': { up: async () => {} } }), {
        applied: [],
      });
    } finally {
      await second.close();
    }
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});
