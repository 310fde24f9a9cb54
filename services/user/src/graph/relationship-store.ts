import { withTables } from '@kith/db';
import { sql } from 'kysely';
import type { ColumnType, Generated, Kysely } from 'kysely';
import { profileShownAt } from '../profiles/profile-visibility.js';
import type { GraphViewDb } from './graph-db.js';

export interface BlockTable {
  blocker_id: string;
  blocked_id: string;
  created_at: Generated<Date>;
}

export interface MuteTable {
  muter_id: string;
  muted_id: string;
  /** The muted user's notifications are dropped too. */
  include_notifications: boolean;
  /** Null = until unmuted. A mute past this time no longer applies, even before the daemon ends it. */
  expires_at: Date | null;
  created_at: Generated<Date>;
}

export interface FollowTable {
  follower_id: string;
  followee_id: string;
  created_at: Generated<Date>;
}

export interface FollowRequestTable {
  requester_id: string;
  target_id: string;
  created_at: Generated<Date>;
}

/** Kept in the transaction that adds or removes a follow, so it never drifts from `follows`. */
export interface FollowCountTable {
  user_id: string;
  followers_count: Generated<number>;
  following_count: Generated<number>;
}

/** The edges whose events carry an aggregate version (user_events.proto). */
export type EdgeKind = 'follow' | 'block' | 'mute';

/**
 * The newest version of each edge aggregate (follow requester/follower → target, blocker →
 * blocked, muter → muted). Never deleted with the edge: a re-created edge continues the count,
 * so a consumer's stored version never outranks the new edge's events.
 */
export interface EdgeVersionTable {
  kind: EdgeKind;
  from_id: string;
  to_id: string;
  version: ColumnType<string, string, string>;
}

/** The social graph: what every area reads to show relationships and hide blocked and muted users. */
export interface GraphDb {
  follows: FollowTable;
  follow_requests: FollowRequestTable;
  follow_counts: FollowCountTable;
  blocks: BlockTable;
  mutes: MuteTable;
  edge_versions: EdgeVersionTable;
}

/** The viewer's relationship with one user, as kith.user.v1.Relationship has it. */
export interface RelationshipRow {
  userId: string;
  following: boolean;
  followedBy: boolean;
  followRequested: boolean;
  followRequestReceived: boolean;
  blocking: boolean;
  muting: boolean;
  mutingNotifications: boolean;
  muteExpiresAt: Date | null;
}

/** `ids` as a table `asked(id, ord)`: one row per id, numbered in the order given. */
function askedIds(ids: readonly string[]) {
  const rows = sql<{ id: string; ord: string }>`unnest(${sql.val(ids)}::uuid[]) with ordinality`;
  return rows.as<'asked'>(sql`asked(id, ord)`);
}

/**
 * One statement for the viewer's relationships with `ids`, in their order: an EXISTS per edge
 * and direction (answered from the edge's primary key or its per-user index, one probe per id
 * or one scan of the viewer's edges, as the planner prefers) and the viewer's unexpired mute.
 */
function relationshipQuery(
  db: Kysely<GraphViewDb>,
  viewerId: string,
  ids: readonly string[],
  now: Date,
) {
  return db
    .selectFrom(askedIds(ids))
    .leftJoin('mutes', (join) =>
      join
        .on('mutes.muter_id', '=', viewerId)
        .onRef('mutes.muted_id', '=', 'asked.id')
        .on((eb) => eb.or([eb('mutes.expires_at', 'is', null), eb('mutes.expires_at', '>', now)])),
    )
    .select((eb) => [
      'asked.id',
      eb
        .exists(
          eb
            .selectFrom('follows')
            .select('follows.follower_id')
            .where('follows.follower_id', '=', viewerId)
            .whereRef('follows.followee_id', '=', 'asked.id'),
        )
        .$castTo<boolean>()
        .as('following'),
      eb
        .exists(
          eb
            .selectFrom('follows')
            .select('follows.follower_id')
            .whereRef('follows.follower_id', '=', 'asked.id')
            .where('follows.followee_id', '=', viewerId),
        )
        .$castTo<boolean>()
        .as('followed_by'),
      eb
        .exists(
          eb
            .selectFrom('follow_requests')
            .select('follow_requests.requester_id')
            .where('follow_requests.requester_id', '=', viewerId)
            .whereRef('follow_requests.target_id', '=', 'asked.id'),
        )
        .$castTo<boolean>()
        .as('follow_requested'),
      eb
        .exists(
          eb
            .selectFrom('follow_requests')
            .select('follow_requests.requester_id')
            .whereRef('follow_requests.requester_id', '=', 'asked.id')
            .where('follow_requests.target_id', '=', viewerId),
        )
        .$castTo<boolean>()
        .as('follow_request_received'),
      eb
        .exists(
          eb
            .selectFrom('blocks')
            .select('blocks.blocker_id')
            .where('blocks.blocker_id', '=', viewerId)
            .whereRef('blocks.blocked_id', '=', 'asked.id'),
        )
        .$castTo<boolean>()
        .as('blocking'),
      eb
        .exists(
          eb
            .selectFrom('blocks')
            .select('blocks.blocker_id')
            .whereRef('blocks.blocker_id', '=', 'asked.id')
            .where('blocks.blocked_id', '=', viewerId),
        )
        .$castTo<boolean>()
        .as('blocked_by'),
      'mutes.include_notifications',
      'mutes.expires_at',
    ])
    .orderBy('asked.ord');
}

type RelationshipQueryRow = Awaited<
  ReturnType<ReturnType<typeof relationshipQuery>['execute']>
>[number];

/** A user who blocks the viewer reads as no relationship at all: blocks are hidden from the blocked. */
function toRelationshipRow(row: RelationshipQueryRow): RelationshipRow {
  if (row.blocked_by) {
    return {
      userId: row.id,
      following: false,
      followedBy: false,
      followRequested: false,
      followRequestReceived: false,
      blocking: false,
      muting: false,
      mutingNotifications: false,
      muteExpiresAt: null,
    };
  }
  return {
    userId: row.id,
    following: row.following,
    followedBy: row.followed_by,
    followRequested: row.follow_requested,
    followRequestReceived: row.follow_request_received,
    blocking: row.blocking,
    muting: row.include_notifications !== null,
    mutingNotifications: row.include_notifications ?? false,
    muteExpiresAt: row.expires_at ?? null,
  };
}

/**
 * The viewer's relationships with `ids`, in their order (one statement). A user who blocks the
 * viewer reads as no relationship at all (every flag false): blocks are hidden from the blocked.
 */
export async function relationshipsOf(
  db: Kysely<GraphDb>,
  viewerId: string,
  ids: readonly string[],
  now: Date,
): Promise<RelationshipRow[]> {
  if (ids.length === 0) return [];
  // The same schema holds the profiles; this query does not read them.
  const rows = await relationshipQuery(withTables<GraphViewDb>(db), viewerId, ids, now).execute();
  return rows.map(toRelationshipRow);
}

/**
 * `relationshipsOf`, and whether each user exists and is shown to people other than its owner
 * at `now` (profiles/profile-visibility.ts), in the same one statement: what GetRelationships
 * answers from.
 */
export async function relationshipsAndVisibilityOf(
  db: Kysely<GraphViewDb>,
  viewerId: string,
  ids: readonly string[],
  now: Date,
): Promise<{ relationship: RelationshipRow; shown: boolean }[]> {
  if (ids.length === 0) return [];
  const rows = await relationshipQuery(db, viewerId, ids, now)
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('profiles')
            .select('profiles.user_id')
            .whereRef('profiles.user_id', '=', 'asked.id')
            .where(profileShownAt(now)),
        )
        .$castTo<boolean>()
        .as('shown'),
    )
    .execute();
  return rows.map((row) => ({ relationship: toRelationshipRow(row), shown: row.shown }));
}

/** Follower and following counts of `ids` (zero for a user nobody follows yet). */
export async function followCounts(
  db: Kysely<GraphDb>,
  ids: readonly string[],
): Promise<Map<string, { followers: number; following: number }>> {
  const counts = new Map(ids.map((id) => [id, { followers: 0, following: 0 }]));
  if (ids.length === 0) return counts;
  const rows = await db
    .selectFrom('follow_counts')
    .select(['user_id', 'followers_count', 'following_count'])
    .where('user_id', 'in', ids)
    .execute();
  for (const row of rows) {
    counts.set(row.user_id, { followers: row.followers_count, following: row.following_count });
  }
  return counts;
}

/** Whether `followerId` follows `followeeId`. */
export async function isFollowing(
  db: Kysely<GraphDb>,
  followerId: string,
  followeeId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('follows')
    .select('follower_id')
    .where('follower_id', '=', followerId)
    .where('followee_id', '=', followeeId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Advances an edge's aggregate version by one (the first change is 1) and returns the new
 * version, for the event that describes the change. Call it once per change, in the
 * transaction that makes it; the row lock it takes orders concurrent changes of one edge.
 */
export async function nextEdgeVersion(
  db: Kysely<GraphDb>,
  kind: EdgeKind,
  fromId: string,
  toId: string,
): Promise<bigint> {
  const row = await db
    .insertInto('edge_versions')
    .values({ kind, from_id: fromId, to_id: toId, version: '1' })
    .onConflict((oc) =>
      oc
        .columns(['kind', 'from_id', 'to_id'])
        .doUpdateSet({ version: sql<string>`edge_versions.version + 1` }),
    )
    .returning('version')
    .executeTakeFirstOrThrow();
  return BigInt(row.version);
}

/**
 * Serialises every change between two users (either direction) for the rest of the
 * transaction: a Follow checking for a block and a Block removing follows must not run side by
 * side, or the follow could land after the block removed follows and survive it.
 */
export async function lockPair(db: Kysely<GraphDb>, a: string, b: string): Promise<void> {
  const key = a < b ? `graph:${a}:${b}` : `graph:${b}:${a}`;
  await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(db);
}
