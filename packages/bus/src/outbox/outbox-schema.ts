import type { MigrationSet } from '@kith/db';
import { sql, type Generated, type Kysely } from 'kysely';

/** Tables every service schema gets for reliable events: outbox, inbox and dead letters. */
export interface OutboxTables {
  outbox: {
    id: string;
    subject: string;
    data: Uint8Array;
    headers: Record<string, string>;
    created_at: Generated<Date>;
    published_at: Date | null;
  };
  inbox: { consumer: string; message_id: string; processed_at: Generated<Date> };
  dead_letters: {
    id: string;
    consumer: string;
    message_id: string;
    subject: string;
    data: Uint8Array;
    headers: Record<string, string>;
    error: string;
    delivery_count: number;
    created_at: Generated<Date>;
    replayed_at: Date | null;
  };
}

export const outboxMigrations: MigrationSet = {
  '20260101T0000_outbox_inbox_dead_letters': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('outbox')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('data', 'bytea', (c) => c.notNull())
        .addColumn('headers', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('published_at', 'timestamptz')
        .execute();
      // The relay only ever scans unpublished rows in id order; keep that index tiny.
      await db.schema
        .createIndex('outbox_unpublished')
        .on('outbox')
        .column('id')
        .where(sql.ref('published_at'), 'is', null)
        .execute();
      await db.schema
        .createIndex('outbox_published_at')
        .on('outbox')
        .column('published_at')
        .where(sql.ref('published_at'), 'is not', null)
        .execute();
      await db.schema
        .createTable('inbox')
        .addColumn('consumer', 'text', (c) => c.notNull())
        .addColumn('message_id', 'uuid', (c) => c.notNull())
        .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('inbox_pkey', ['consumer', 'message_id'])
        .execute();
      await db.schema
        .createTable('dead_letters')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('consumer', 'text', (c) => c.notNull())
        .addColumn('message_id', 'uuid', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('data', 'bytea', (c) => c.notNull())
        .addColumn('headers', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('error', 'text', (c) => c.notNull())
        .addColumn('delivery_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('replayed_at', 'timestamptz')
        .execute();
      // A redelivered dead letter (crash before term) must not add a second open row.
      await db.schema
        .createIndex('dead_letters_open')
        .on('dead_letters')
        .columns(['consumer', 'message_id'])
        .unique()
        .where(sql.ref('replayed_at'), 'is', null)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('dead_letters').execute();
      await db.schema.dropTable('inbox').execute();
      await db.schema.dropTable('outbox').execute();
    },
  },
};
