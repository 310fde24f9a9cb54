import type { Kysely, RawBuilder, Transaction } from 'kysely';

/**
 * A service's handle on its own Postgres schema. Every query builder it hands out is bound to
 * that schema (its compiler writes the schema into every table name, as Kysely's `withSchema`
 * would; ADR 0027), so the same code runs on a Postgres server (pool, one
 * schema per service) and on PGlite (one embedded instance shared by all services).
 */
export interface Database<DB = unknown> {
  /** Query builder bound to this service's schema. */
  readonly db: Kysely<DB>;
  /** The Postgres schema this service owns, e.g. `auth`. */
  readonly schema: string;
  readonly dialect: 'postgres' | 'pglite';
  /**
   * Runs `fn` in one transaction; commits when it resolves, rolls back when it throws.
   * Inside `fn` query only through `trx`: on PGlite the one session belongs to the
   * transaction, and a query through `db` is rejected with a `SessionLockError`.
   * Work registered with `trx.onCommit` runs once COMMIT has succeeded, before this resolves.
   */
  transaction<T>(fn: (trx: Trx<DB>) => Promise<T>): Promise<T>;
  /**
   * A schema-qualified table for raw `sql` templates, whose names are not rewritten:
   * sql`select * from ${database.table('outbox')}`.
   */
  table(name: string): RawBuilder<unknown>;
  /**
   * Calls `listener` after every committed transaction of this handle that called
   * `trx.notifyOnCommit(topic, …)`: once per transaction, after its commit hooks, with the
   * details given (deduplicated, in order), and awaited before `transaction` resolves. Returns
   * the unsubscribe. In-process only: how a relay learns at once that there is work for it,
   * and how a cache learns which of its entries a commit made stale.
   */
  onCommitted<T = string>(topic: string, listener: CommitListener<T>): () => void;
  /** Cheap round trip used by readiness checks. */
  ping(): Promise<void>;
  /** Releases connections (pool) or nothing (a shared PGlite instance is closed by its owner). */
  close(): Promise<void>;
}

/** Work that must happen only once the transaction's changes are durable (cache drops, pushes). */
export type CommitHook = () => void | Promise<void>;

/**
 * A transaction that also collects after-commit work. `onCommit(fn)` may be called anywhere
 * inside the transaction's callback (in any helper it passes `trx` to); the hooks run in
 * registration order after COMMIT succeeds, never after a rollback. A hook that fails is
 * logged and does not fail the caller: the change it follows is already committed.
 */
export type Trx<DB> = Transaction<DB> & {
  onCommit(fn: CommitHook): void;
  /**
   * After COMMIT, tell the handle's `onCommitted(topic)` listeners (never after a rollback).
   * A detail is any value the topic's listeners expect (an id, a row); equal strings, or the
   * same object, count once.
   */
  notifyOnCommit(topic: string, detail?: unknown): void;
};

/** Told what committed transactions noted under one topic (`Trx.notifyOnCommit`). */
export type CommitListener<T = string> = (details: readonly T[]) => void | Promise<void>;

/** A migration written against `Kysely<unknown>` bound to the service schema. */
export interface Migration {
  /** `schema` names the service schema for raw SQL (functions, triggers) the builder can't bind. */
  up(db: Kysely<unknown>, context: { schema: string }): Promise<void>;
  down?(db: Kysely<unknown>): Promise<void>;
}

/** Migrations listed explicitly, keyed by a timestamped name (`20261123T1200_outbox`). */
export type MigrationSet = Record<string, Migration>;

/** The subset of a pino logger this package calls; pass nothing to stay quiet. */
export interface LoggerLike {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
