import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { SessionLock } from './session-lock.js';

const rowCountCommands = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** One lease of the PGlite session; unusable once released. */
class PgliteConnection implements DatabaseConnection {
  readonly #pglite: PGlite;
  #release: (() => void) | undefined;

  constructor(pglite: PGlite, release: () => void) {
    this.#pglite = pglite;
    this.#release = release;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.#release) throw new Error('PGlite connection used after it was released');
    const result = await this.#pglite.query<R>(compiled.sql, [...compiled.parameters], {
      rowMode: 'object',
    });
    const command = result.command?.toUpperCase();
    return {
      rows: result.rows,
      numAffectedRows:
        command && rowCountCommands.has(command)
          ? BigInt(result.rowCount ?? result.affectedRows ?? 0)
          : undefined,
    };
  }

  // Streaming needs a cursor over a second portal; one embedded session cannot offer it safely.
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error(
      'streamQuery is not supported by the PGlite dialect; page with keyset pagination instead',
    );
  }

  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

/** Kysely's Postgres driver shape over a single session guarded by a FIFO lock. */
class PgliteDriver implements Driver {
  readonly #pglite: PGlite;
  readonly #lock: SessionLock;

  constructor(pglite: PGlite, lock: SessionLock) {
    this.#pglite = pglite;
    this.#lock = lock;
  }

  async init(): Promise<void> {
    await this.#pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#lock.acquire();
    if (this.#pglite.closed) {
      release();
      throw new Error('PGlite instance is closed');
    }
    return new PgliteConnection(this.#pglite, release);
  }

  async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    let statement = 'begin';
    if (settings.isolationLevel || settings.accessMode) {
      statement = 'start transaction';
      if (settings.isolationLevel) statement += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode) statement += ` ${settings.accessMode}`;
    }
    await connection.executeQuery(CompiledQuery.raw(statement));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdent(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${quoteIdent(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdent(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PgliteConnection).release();
  }

  // The instance is shared by every service in the process; its owner closes it.
  async destroy(): Promise<void> {}
}

/** A Kysely dialect for PGlite: Postgres SQL compiler and introspector, one guarded session. */
export class PgliteDialect implements Dialect {
  readonly #pglite: PGlite;
  readonly #lock: SessionLock;

  constructor(options: { pglite: PGlite; lock: SessionLock }) {
    this.#pglite = options.pglite;
    this.#lock = options.lock;
  }

  createDriver(): Driver {
    return new PgliteDriver(this.#pglite, this.#lock);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
