import { sql } from 'kysely';
import type { ColumnType, Generated, Kysely } from 'kysely';

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

/** Whether either user blocks the other. */
export async function blockedEitherWay(
  db: Kysely<GraphDb>,
  a: string,
  b: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('blocks')
    .select('blocker_id')
    .where((eb) =>
      eb.or([
        eb.and([eb('blocker_id', '=', a), eb('blocked_id', '=', b)]),
        eb.and([eb('blocker_id', '=', b), eb('blocked_id', '=', a)]),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Of `ids`, those who block `viewerId` or whom `viewerId` blocks. */
export async function blockedAmong(
  db: Kysely<GraphDb>,
  viewerId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('blocks')
    .select(['blocker_id', 'blocked_id'])
    .where((eb) =>
      eb.or([
        eb.and([eb('blocker_id', '=', viewerId), eb('blocked_id', 'in', ids)]),
        eb.and([eb('blocked_id', '=', viewerId), eb('blocker_id', 'in', ids)]),
      ]),
    )
    .execute();
  return new Set(
    rows.map((row) => (row.blocker_id === viewerId ? row.blocked_id : row.blocker_id)),
  );
}

/** Whether `muterId` mutes `mutedId` with their notifications at `now`. */
export async function mutesNotificationsOf(
  db: Kysely<GraphDb>,
  muterId: string,
  mutedId: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .selectFrom('mutes')
    .select('muter_id')
    .where('muter_id', '=', muterId)
    .where('muted_id', '=', mutedId)
    .where('include_notifications', '=', true)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  return row !== undefined;
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

/**
 * The viewer's relationships with `ids`, in their order. A user who blocks the viewer reads as
 * no relationship at all (every flag false): blocks are hidden from the blocked.
 */
export async function relationshipsOf(
  db: Kysely<GraphDb>,
  viewerId: string,
  ids: readonly string[],
  now: Date,
): Promise<RelationshipRow[]> {
  if (ids.length === 0) return [];
  const [following, followedBy, requested, received, blocking, blockedBy, muting] =
    await Promise.all([
      db
        .selectFrom('follows')
        .select('followee_id as id')
        .where('follower_id', '=', viewerId)
        .where('followee_id', 'in', ids)
        .execute(),
      db
        .selectFrom('follows')
        .select('follower_id as id')
        .where('followee_id', '=', viewerId)
        .where('follower_id', 'in', ids)
        .execute(),
      db
        .selectFrom('follow_requests')
        .select('target_id as id')
        .where('requester_id', '=', viewerId)
        .where('target_id', 'in', ids)
        .execute(),
      db
        .selectFrom('follow_requests')
        .select('requester_id as id')
        .where('target_id', '=', viewerId)
        .where('requester_id', 'in', ids)
        .execute(),
      db
        .selectFrom('blocks')
        .select('blocked_id as id')
        .where('blocker_id', '=', viewerId)
        .where('blocked_id', 'in', ids)
        .execute(),
      db
        .selectFrom('blocks')
        .select('blocker_id as id')
        .where('blocked_id', '=', viewerId)
        .where('blocker_id', 'in', ids)
        .execute(),
      db
        .selectFrom('mutes')
        .select(['muted_id as id', 'include_notifications', 'expires_at'])
        .where('muter_id', '=', viewerId)
        .where('muted_id', 'in', ids)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .execute(),
    ]);
  const set = (rows: { id: string }[]) => new Set(rows.map((row) => row.id));
  const [fw, fb, rq, rc, bl, bb] = [
    following,
    followedBy,
    requested,
    received,
    blocking,
    blockedBy,
  ].map(set);
  const mutes = new Map(muting.map((row) => [row.id, row]));
  return ids.map((id) => {
    if (bb!.has(id)) {
      return {
        userId: id,
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
    const mute = mutes.get(id);
    return {
      userId: id,
      following: fw!.has(id),
      followedBy: fb!.has(id),
      followRequested: rq!.has(id),
      followRequestReceived: rc!.has(id),
      blocking: bl!.has(id),
      muting: mute !== undefined,
      mutingNotifications: mute?.include_notifications ?? false,
      muteExpiresAt: mute?.expires_at ?? null,
    };
  });
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
