import { sql, type Generated, type Kysely } from 'kysely';
import type { Database, MigrationSet } from './types.js';

/** Tables the contract suite creates through migrations. */
export interface ContractDB {
  notes: { id: string; body: string; created_at: Date };
  items: { id: string; payload: unknown; tag: string | null; attempts: Generated<number> };
}

/** One table with a millisecond timestamp, so keyset cursors round-trip through a JS Date. */
export const notesMigrations: MigrationSet = {
  '20260101T0000_notes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('notes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('notes_created_at_id')
        .on('notes')
        .columns(['created_at', 'id'])
        .execute();
    },
  },
};

/**
 * Two migrations listed out of name order; the second needs the first. `order` records runs.
 */
export function createContractMigrations(order: string[]): MigrationSet {
  return {
    '20260102T0000_items_tag': {
      async up(db) {
        order.push('20260102T0000_items_tag');
        await db.schema.alterTable('items').addColumn('tag', 'text').execute();
      },
    },
    '20260101T0000_items': {
      async up(db) {
        order.push('20260101T0000_items');
        await db.schema
          .createTable('items')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('payload', 'jsonb', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
      },
    },
  };
}

export async function tableExists<DB>(database: Database<DB>, table: string): Promise<boolean> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from information_schema.tables
    where table_schema = ${database.schema} and table_name = ${table}`.execute(
    database.db as Kysely<unknown>,
  );
  return rows[0]?.n === '1';
}

export async function appliedNames<DB>(database: Database<DB>): Promise<string[]> {
  const { rows } = await sql<{
    name: string;
  }>`select name from ${database.table('_migrations')} order by name`.execute(
    database.db as Kysely<unknown>,
  );
  return rows.map((r) => r.name);
}
