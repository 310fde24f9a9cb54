import type { Kysely, Transaction } from 'kysely';
import type { Trx } from './types.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the one place a handle changes its table type */
/**
 * The same handle (pool, transaction, `onCommit` and all) seen through another table
 * interface: a package's own tables inside a service's schema (outbox, inbox, mail queue,
 * idempotency keys), or a service's tables inside a transaction typed by someone else (an
 * inbox consumer's). Nothing is checked at run time: the caller vouches that the tables exist
 * in the schema the handle is bound to.
 */
/**
 * Any handle on any schema's tables: the parameter type of a package function that works inside
 * whichever service's transaction it is given (the outbox, the mail queue).
 */
export type AnyKysely = Kysely<any>;

export function withTables<T>(db: Trx<any>): Trx<T>;
export function withTables<T>(db: Transaction<any>): Transaction<T>;
export function withTables<T>(db: Kysely<any> | Transaction<any>): Kysely<T>;
export function withTables<T>(db: Kysely<any> | Transaction<any>): Kysely<T> {
  return db as Kysely<T>;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
