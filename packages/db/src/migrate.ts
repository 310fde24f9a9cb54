import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database, LoggerLike, MigrationSet } from './types.js';

/** Bookkeeping table, one per service schema. */
export const MIGRATIONS_TABLE = '_migrations';

// First half of the two-int advisory lock key; the second half is hashtext(schema).
const LOCK_NAMESPACE = 0x6b697468; // 'kith'

/** The database holds applied migrations this code does not know: a rollback deploy or a mix-up. */
export class UnknownMigrationError extends Error {
  override readonly name = 'UnknownMigrationError';
  constructor(
    readonly schema: string,
    readonly names: readonly string[],
  ) {
    super(
      `schema "${schema}" has applied migrations unknown to this code: ${names.join(', ')}; ` +
        'refusing to migrate (deploy the code that contains them)',
    );
  }
}

/** A migration failed; its transaction was rolled back. `cause` holds the database error. */
export class MigrationFailedError extends Error {
  override readonly name = 'MigrationFailedError';
  constructor(
    readonly migration: string,
    options: { cause: unknown },
  ) {
    super(
      `migration ${migration} failed: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`,
      options,
    );
  }
}

export interface MigrateOptions {
  logger?: LoggerLike;
}

export interface MigrateResult {
  /** Names applied by this run, in order; empty when the schema was up to date. */
  applied: string[];
}

/**
 * Applies pending migrations in name order, each in its own transaction with its bookkeeping
 * row. A session advisory lock on one dedicated connection, keyed on the schema, makes
 * concurrent runs (replicas, a Helm hook retried) queue: the second finds nothing to do.
 */
export async function migrate<DB>(
  database: Database<DB>,
  migrations: MigrationSet,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const { schema } = database;
  const { logger } = options;
  const db = database.db as Kysely<unknown>;
  return db.connection().execute(async (conn) => {
    // Settings and locks below are per session, so everything runs on this one connection.
    const cleanup = async (statement: RawBuilder<unknown>) => {
      try {
        await statement.execute(conn);
      } catch (err) {
        // A broken connection drops its session lock anyway; keep the original error visible.
        logger?.warn({ err, schema }, 'migration lock cleanup failed');
      }
    };
    // Waiting for a long migration elsewhere must not trip the pool's statement timeout.
    await sql`set statement_timeout = 0`.execute(conn);
    try {
      await sql`select pg_advisory_lock(${LOCK_NAMESPACE}::int4, hashtext(${schema}))`.execute(
        conn,
      );
      try {
        return await applyPending(conn, database, migrations, logger);
      } finally {
        await cleanup(sql`select pg_advisory_unlock(${LOCK_NAMESPACE}::int4, hashtext(${schema}))`);
      }
    } finally {
      await cleanup(sql`reset statement_timeout`);
    }
  });
}

async function applyPending<DB>(
  conn: Kysely<unknown>,
  database: Database<DB>,
  migrations: MigrationSet,
  logger: LoggerLike | undefined,
): Promise<MigrateResult> {
  const { schema } = database;
  const table = database.table(MIGRATIONS_TABLE);
  // Created under the lock: concurrent CREATE SCHEMA IF NOT EXISTS can still collide.
  await sql`create schema if not exists ${sql.id(schema)}`.execute(conn);
  await sql`create table if not exists ${table} (
    name text primary key,
    applied_at timestamptz not null default now()
  )`.execute(conn);
  const done = await sql<{ name: string }>`select name from ${table}`.execute(conn);
  const appliedBefore = new Set(done.rows.map((r) => r.name));
  const unknown = [...appliedBefore].filter((name) => !Object.hasOwn(migrations, name)).sort();
  if (unknown.length > 0) throw new UnknownMigrationError(schema, unknown);

  const pending = Object.keys(migrations)
    .filter((name) => !appliedBefore.has(name))
    .sort();
  const applied: string[] = [];
  for (const name of pending) {
    const migration = migrations[name]!;
    const started = Date.now();
    try {
      await conn.transaction().execute(async (trx) => {
        await migration.up(trx, { schema });
        await sql`insert into ${table} (name) values (${name})`.execute(trx);
      });
    } catch (cause) {
      logger?.error({ err: cause, schema, migration: name }, 'migration failed; rolled back');
      throw new MigrationFailedError(name, { cause });
    }
    applied.push(name);
    logger?.info(
      { schema, migration: name, durationMs: Date.now() - started },
      'migration applied',
    );
  }
  if (applied.length === 0) logger?.info({ schema }, 'schema up to date');
  return { applied };
}

/**
 * Entry point of `kith migrate`: logs the outcome and sets `process.exitCode = 1` on failure
 * (a Helm hook Job must fail loudly). The caller still owns and closes `database`.
 */
export async function runMigrateCli<DB>(
  database: Database<DB>,
  migrations: MigrationSet,
  logger?: LoggerLike,
): Promise<MigrateResult | undefined> {
  try {
    const result = await migrate(database, migrations, logger ? { logger } : {});
    logger?.info({ schema: database.schema, applied: result.applied }, 'migrate finished');
    return result;
  } catch (err) {
    logger?.error({ err, schema: database.schema }, 'migrate failed');
    process.exitCode = 1;
    return undefined;
  }
}
