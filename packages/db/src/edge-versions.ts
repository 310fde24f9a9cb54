import type { Kysely } from 'kysely';
import type { MigrationSet } from './types.js';
import type { AnyKysely } from './with-tables.js';

/**
 * The consumer side of versioned edge events (user.followed / unfollowed / follow_requested,
 * user.blocked / unblocked, user.muted / unmuted): a service that mirrors the social graph keeps
 * the newest version it applied per edge, and applies an event only when its version is newer.
 * A redelivered or replayed old event (a user.followed after the user.unfollowed that ended it)
 * then never resurrects or overwrites newer state. Rows are never deleted with the edge: the
 * producer's versions continue across delete and re-create, so the stored one must too.
 */
export interface AppliedEdgeVersionsTable {
  applied_edge_versions: {
    kind: string;
    from_id: string;
    to_id: string;
    version: string | number | bigint;
  };
}

/** The table `applyEdgeEvent` keeps; spread into a consuming service's migrations. */
export const appliedEdgeVersionMigrations: MigrationSet = {
  '20261203T1700_applied_edge_versions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('applied_edge_versions')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('from_id', 'text', (c) => c.notNull())
        .addColumn('to_id', 'text', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('applied_edge_versions_pkey', ['kind', 'from_id', 'to_id'])
        .execute();
    },
  },
};

/** One edge event: `kind` names the aggregate ('follow', 'block', 'mute'), from → to the edge. */
export interface EdgeEvent {
  kind: string;
  fromId: string;
  toId: string;
  version: bigint | number;
}

/**
 * Records `event.version` as the edge's applied version and runs `apply` — both in `trx`, the
 * consumer's transaction — only when it is newer than the version stored; an event at or below
 * it changes nothing. Returns whether it was applied. Concurrent deliveries for one edge
 * serialise on the row, so two versions never both win.
 */
export async function applyEdgeEvent(
  trx: AnyKysely,
  event: EdgeEvent,
  apply: () => Promise<void>,
): Promise<boolean> {
  const db = trx as Kysely<AppliedEdgeVersionsTable>;
  const version = BigInt(event.version);
  if (version < 1n) throw new RangeError('edge event versions start at 1');
  const row = await db
    .insertInto('applied_edge_versions')
    .values({
      kind: event.kind,
      from_id: event.fromId,
      to_id: event.toId,
      version: version.toString(),
    })
    .onConflict((oc) =>
      oc
        .columns(['kind', 'from_id', 'to_id'])
        .doUpdateSet({ version: (eb) => eb.ref('excluded.version') })
        .where('applied_edge_versions.version', '<', version.toString()),
    )
    .returning('version')
    .executeTakeFirst();
  if (!row) return false;
  await apply();
  return true;
}
