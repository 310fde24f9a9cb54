import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createDatabaseHandle } from './database-handle.js';
import { schemaQualifiedDialect } from './schema-compiler.js';
import { prepareRepeatedStatements } from './prepared-statements.js';
import { fastTimestampTypes } from './timestamp-parser.js';
import { createTransactionGuard } from './transaction-guard.js';
import type { Database, LoggerLike } from './types.js';

interface PostgresCommonOptions {
  schema: string;
  logger?: LoggerLike;
}

export interface PostgresUrlOptions extends PostgresCommonOptions {
  url: string;
  poolMax?: number;
  /** Server-side cap on each statement (default 15 s). */
  statementTimeoutMs?: number;
  /** Server closes a session left idle inside a transaction (default 60 s); frees its locks. */
  idleInTransactionTimeoutMs?: number;
  /** How long to wait for a new connection (default 5 s). */
  connectionTimeoutMs?: number;
  /** Idle pooled connections are closed after this (default 30 s). */
  idleTimeoutMs?: number;
  applicationName?: string;
  /**
   * Statements each connection keeps prepared (default 100; 0 for none, e.g. behind a PgBouncer
   * older than 1.21 in transaction mode). See prepared-statements.ts.
   */
  preparedStatements?: number;
}

export interface PostgresPoolOptions extends PostgresCommonOptions {
  /** A pool owned by the caller: closing the Database leaves it open. */
  pool: pg.Pool;
}

export type PostgresDatabaseOptions = PostgresUrlOptions | PostgresPoolOptions;

/** Pool settings as node-pg takes them; timeouts are sent as startup parameters per connection. */
export function postgresPoolConfig(options: PostgresUrlOptions): pg.PoolConfig {
  return {
    connectionString: options.url,
    max: options.poolMax ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    application_name: options.applicationName ?? `kith-${options.schema}`,
    // Timestamps without postgres-date's regular expressions (the same Dates).
    types: fastTimestampTypes,
  };
}

/** A `Database` over a node-pg pool. The schema is created by `migrate`, not here. */
export function createPostgresDatabase<DB = unknown>(
  options: PostgresDatabaseOptions,
): Database<DB> {
  const owned = !('pool' in options);
  const pool = 'pool' in options ? options.pool : new pg.Pool(postgresPoolConfig(options));
  if (owned) {
    prepareRepeatedStatements(pool, { max: options.preparedStatements ?? 100 });
    // An idle client dropped by the server emits 'error' on the pool; unhandled, it kills the process.
    pool.on('error', (err) =>
      options.logger?.warn({ err, schema: options.schema }, 'idle postgres client failed'),
    );
  }
  // Like PGlite's session lock: `database.db` inside a transaction's callback is refused.
  const transactions = createTransactionGuard();
  const kysely = new Kysely<DB>({
    dialect: schemaQualifiedDialect(
      transactions.guard(new PostgresDialect({ pool })),
      options.schema,
    ),
  });
  return createDatabaseHandle({
    kysely,
    schema: options.schema,
    dialect: 'postgres',
    aroundTransaction: (run) => transactions.around(run),
    // Kysely's destroy ends the pool, so only when we created it.
    close: async () => {
      if (owned) await kysely.destroy();
    },
    logger: options.logger,
  });
}
