import { withTables } from '@kith/db';
import type { AnyKysely, Trx } from '@kith/db';
import type { Kysely } from 'kysely';
import type { ProfileTable } from '../profiles/profile-table.js';
import type { GraphDb } from './relationship-store.js';

/** What the graph's stores read and write: the graph tables and the profiles they join. */
export interface GraphViewDb extends GraphDb {
  profiles: ProfileTable;
}

/** The same handle, typed for the graph's stores (the tables are all in the user schema). */
export function graphDb<DB>(db: Kysely<DB>): Kysely<GraphViewDb>;
export function graphDb<DB>(db: Trx<DB>): Trx<GraphViewDb>;
export function graphDb<DB>(db: Kysely<DB> | Trx<DB>): Kysely<GraphViewDb> {
  return withTables<GraphViewDb>(db);
}

/** The same handle, typed for the shared reads and writes in relationship-store.ts. */
export function sharedGraph(db: AnyKysely): Kysely<GraphDb> {
  return withTables<GraphDb>(db);
}
