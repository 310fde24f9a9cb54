import type { MigrationSet } from '@kith/db';
import { sql, type Kysely } from 'kysely';

/** Tables of the in-process bus, in the schema of the `Database` handed to `createLocalBus`. */
export interface LocalBusTables {
  messages: {
    seq: string;
    id: string;
    dedup_key: string;
    subject: string;
    data: Uint8Array;
    headers: Record<string, string>;
    created_at: Date;
  };
  consumer_state: { consumer: string; filter_subject: string; cursor: string; updated_at: Date };
  deliveries: {
    consumer: string;
    seq: string;
    delivery_count: number;
    next_attempt_at: Date;
    last_error: string | null;
  };
}

export const localBusMigrations: MigrationSet = {
  '20260101T0000_local_bus': {
    async up(db: Kysely<unknown>) {
      // The stream: seq gives order, dedup_key (normally the id) gives broker-style dedup.
      await db.schema
        .createTable('messages')
        .addColumn('seq', 'bigserial', (c) => c.primaryKey())
        .addColumn('id', 'uuid', (c) => c.notNull())
        .addColumn('dedup_key', 'text', (c) => c.notNull().unique())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('data', 'bytea', (c) => c.notNull())
        .addColumn('headers', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      // One row per durable: the highest seq already turned into deliveries.
      await db.schema
        .createTable('consumer_state')
        .addColumn('consumer', 'text', (c) => c.primaryKey())
        .addColumn('filter_subject', 'text', (c) => c.notNull())
        .addColumn('cursor', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      // Unacknowledged deliveries; a row is deleted on ack or dead letter.
      await db.schema
        .createTable('deliveries')
        .addColumn('consumer', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('delivery_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addPrimaryKeyConstraint('deliveries_pkey', ['consumer', 'seq'])
        .execute();
      await db.schema
        .createIndex('deliveries_due')
        .on('deliveries')
        .columns(['consumer', 'next_attempt_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('deliveries').execute();
      await db.schema.dropTable('consumer_state').execute();
      await db.schema.dropTable('messages').execute();
    },
  },
};
