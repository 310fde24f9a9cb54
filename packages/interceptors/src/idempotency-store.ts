import { withTables } from '@kith/db';
import type { Database, MigrationSet } from '@kith/db';
import { sql } from 'kysely';
import type { Generated, Kysely } from 'kysely';

export interface IdempotencyKeysTable {
  /** Caller (user id or client address) and method: one caller's keys never collide with another's. */
  scope: string;
  key: string;
  /** sha256 (hex) of the request message's binary encoding. */
  request_hash: string;
  status: 'pending' | 'completed';
  /** Binary response message; null while pending. */
  response: Uint8Array | null;
  created_at: Generated<Date>;
  completed_at: Date | null;
}

export interface IdempotencyTables {
  idempotency_keys: IdempotencyKeysTable;
}

export type BeginResult =
  | { state: 'started' }
  | { state: 'in_progress'; requestHash: string }
  | { state: 'completed'; requestHash: string; response: Uint8Array };

/** Where idempotent responses are kept. Only successful responses are ever completed. */
export interface IdempotencyStore {
  /** Claims (scope, key) for this request, or reports the existing claim. */
  begin(scope: string, key: string, requestHash: string): Promise<BeginResult>;
  complete(scope: string, key: string, response: Uint8Array): Promise<void>;
  /** Drops a pending claim so that the client may retry after an error. */
  release(scope: string, key: string): Promise<void>;
}

export const idempotencyMigrations: MigrationSet = {
  '20261123T1200_idempotency_keys': {
    async up(db) {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('pending', 'completed')`),
        )
        .addColumn('response', 'bytea')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('completed_at', 'timestamptz')
        .addPrimaryKeyConstraint('idempotency_keys_pkey', ['scope', 'key'])
        .execute();
      await db.schema
        .createIndex('idempotency_keys_created_at')
        .on('idempotency_keys')
        .column('created_at')
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('idempotency_keys').execute();
    },
  },
};

function tables<DB>(database: Database<DB>): Kysely<IdempotencyTables> {
  // The service's own table types do not know this table; it lives in the same schema.
  return withTables<IdempotencyTables>(database.db);
}

export interface PostgresIdempotencyStoreOptions {
  /**
   * A pending claim older than this is taken to be abandoned (its process died) and may be
   * taken over. Must exceed the longest RPC deadline. Default 5 minutes.
   */
  abandonAfterMs?: number;
}

export function createPostgresIdempotencyStore<DB>(
  database: Database<DB>,
  { abandonAfterMs = 5 * 60_000 }: PostgresIdempotencyStoreOptions = {},
): IdempotencyStore {
  const db = tables(database);
  const abandonInterval = sql`make_interval(secs => ${abandonAfterMs / 1000})`;
  return {
    async begin(scope, key, requestHash) {
      const inserted = await db
        .insertInto('idempotency_keys')
        .values({
          scope,
          key,
          request_hash: requestHash,
          status: 'pending',
          response: null,
          completed_at: null,
        })
        .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      if (inserted) return { state: 'started' };
      const takenOver = await db
        .updateTable('idempotency_keys')
        .set({ request_hash: requestHash, created_at: sql<Date>`now()` })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .where('status', '=', 'pending')
        .where('created_at', '<', sql<Date>`now() - ${abandonInterval}`)
        .returning('key')
        .executeTakeFirst();
      if (takenOver) return { state: 'started' };
      const row = await db
        .selectFrom('idempotency_keys')
        .select(['status', 'request_hash', 'response'])
        .where('scope', '=', scope)
        .where('key', '=', key)
        .executeTakeFirst();
      // Released between our insert and select: claim again.
      if (!row) return this.begin(scope, key, requestHash);
      if (row.status === 'completed' && row.response) {
        return { state: 'completed', requestHash: row.request_hash, response: row.response };
      }
      return { state: 'in_progress', requestHash: row.request_hash };
    },
    async complete(scope, key, response) {
      await db
        .updateTable('idempotency_keys')
        .set({ status: 'completed', response, completed_at: sql<Date>`now()` })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .execute();
    },
    async release(scope, key) {
      await db
        .deleteFrom('idempotency_keys')
        .where('scope', '=', scope)
        .where('key', '=', key)
        .where('status', '=', 'pending')
        .execute();
    },
  };
}

/** Deletes keys created before `olderThan` (keep ≥ 24 h); returns how many were removed. */
export async function purgeIdempotencyKeys<DB>(
  database: Database<DB>,
  olderThan: Date,
): Promise<number> {
  const result = await tables(database)
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', olderThan)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
