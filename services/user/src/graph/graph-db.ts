import { withTables } from '@kith/db';
import type { AnyKysely, Trx } from '@kith/db';
import type { Generated, Kysely } from 'kysely';
import type { ProfileTable } from '../profiles/profile-table.js';
import type { GraphDb } from './relationship-store.js';

/**
 * The profile flags the graph obeys. TODO(#10): the profiles area declares them on ProfileTable
 * (its migration adds the columns; ours adds them only if missing); drop this once it has.
 */
export interface GraphProfileFlags {
  /** Follow creates a follow request. */
  locked: Generated<boolean>;
  /** The follower and following lists are empty to everyone but the owner. */
  hide_follow_lists: Generated<boolean>;
}

/** What the graph's stores read and write: the graph tables and the profiles they join. */
export interface GraphViewDb extends GraphDb {
  profiles: ProfileTable & GraphProfileFlags;
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
