import { createPostgresDatabase, migrate, type Database } from '@kith/db';
import { createTestSchema } from '@kith/testkit';
import { sql, type Kysely } from 'kysely';
import { outboxMigrations, type OutboxTables } from '../outbox/outbox-schema.js';

/** A service schema as services have it: outbox tables plus one non-idempotent effect. */
export interface ServiceTables extends OutboxTables {
  counters: { name: string; value: number };
}

export interface ServiceDb {
  database: Database<ServiceTables>;
  /** The effect under test: +1, applied twice if a message is processed twice. */
  increment(trx: Kysely<ServiceTables>, name: string): Promise<void>;
  counters(): Promise<Record<string, number>>;
  teardown(): Promise<void>;
}

export async function createServiceDb(url: string): Promise<ServiceDb> {
  const schema = await createTestSchema(url, 'svc');
  const database = createPostgresDatabase<ServiceTables>({ url, schema: schema.name, poolMax: 6 });
  return serviceDbOn(database, async () => {
    await database.close();
    await schema.drop();
  });
}

/** The same service tables on any database (PGlite in the embedded-mode test). */
export async function serviceDbOn(
  database: Database<ServiceTables>,
  teardown: () => Promise<void>,
): Promise<ServiceDb> {
  await migrate(database, {
    ...outboxMigrations,
    '20260101T0100_counters': {
      async up(db) {
        await db.schema
          .createTable('counters')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'integer', (c) => c.notNull())
          .execute();
      },
    },
  });
  return {
    database,
    async increment(trx, name) {
      await trx
        .insertInto('counters')
        .values({ name, value: 1 })
        .onConflict((oc) => oc.column('name').doUpdateSet({ value: sql`counters.value + 1` }))
        .execute();
    },
    async counters() {
      const rows = await database.db.selectFrom('counters').selectAll().execute();
      return Object.fromEntries(rows.map((r) => [r.name, r.value]));
    },
    teardown,
  };
}
