import { fetchPage } from '@kith/db';
import type { PageTokenCodec, Trx } from '@kith/db';
import { sql } from 'kysely';
import type { ExpressionBuilder, Kysely } from 'kysely';
import { profileShownAt } from '../profiles/profile-visibility.js';
import { noteCountsChanged } from './count-changes.js';
import type { GraphViewDb } from './graph-db.js';

// Follows, follow requests and the counts kept beside them. A count changes only in the
// transaction whose insert or delete really happened (RETURNING), so concurrent follows and
// unfollows of one pair never count twice.

/**
 * One side of a follow: +1 or -1 on the follower's following and the followee's followers, in
 * one statement. The rows go in id order, so two transactions touching the same two rows never
 * wait on each other in a cycle.
 */
async function adjustCounts(
  db: Trx<GraphViewDb>,
  followerId: string,
  followeeId: string,
  delta: 1 | -1,
): Promise<void> {
  const added = Math.max(delta, 0);
  const rows = [
    { user_id: followerId, followers_count: 0, following_count: added },
    { user_id: followeeId, followers_count: added, following_count: 0 },
  ].sort((a, b) => (a.user_id < b.user_id ? -1 : 1));
  const step = (column: 'followers_count' | 'following_count', userId: string) =>
    sql<number>`greatest(follow_counts.${sql.ref(column)} + case when follow_counts.user_id = ${userId} then ${delta} else 0 end, 0)`;
  await db
    .insertInto('follow_counts')
    .values(rows)
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        followers_count: step('followers_count', followeeId),
        following_count: step('following_count', followerId),
      }),
    )
    .execute();
  noteCountsChanged(db, [followerId, followeeId]);
}

/** Adds the follow; false when it already existed (nothing changed). */
export async function insertFollow(
  db: Trx<GraphViewDb>,
  followerId: string,
  followeeId: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .insertInto('follows')
    .values({ follower_id: followerId, followee_id: followeeId, created_at: now })
    .onConflict((oc) => oc.columns(['follower_id', 'followee_id']).doNothing())
    .returning('follower_id')
    .executeTakeFirst();
  if (!row) return false;
  await adjustCounts(db, followerId, followeeId, 1);
  return true;
}

/** Removes the follow; false when there was none (nothing changed). */
export async function deleteFollow(
  db: Trx<GraphViewDb>,
  followerId: string,
  followeeId: string,
): Promise<boolean> {
  const row = await db
    .deleteFrom('follows')
    .where('follower_id', '=', followerId)
    .where('followee_id', '=', followeeId)
    .returning('follower_id')
    .executeTakeFirst();
  if (!row) return false;
  await adjustCounts(db, followerId, followeeId, -1);
  return true;
}

/** Adds a pending follow request; false when one was already pending. */
export async function insertFollowRequest(
  db: Kysely<GraphViewDb>,
  requesterId: string,
  targetId: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .insertInto('follow_requests')
    .values({ requester_id: requesterId, target_id: targetId, created_at: now })
    .onConflict((oc) => oc.columns(['requester_id', 'target_id']).doNothing())
    .returning('requester_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Removes a pending follow request; false when none was pending. */
export async function deleteFollowRequest(
  db: Kysely<GraphViewDb>,
  requesterId: string,
  targetId: string,
): Promise<boolean> {
  const row = await db
    .deleteFrom('follow_requests')
    .where('requester_id', '=', requesterId)
    .where('target_id', '=', targetId)
    .returning('requester_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** A user in a list, with what kith.common.v1.UserSummary shows and when the edge began. */
export interface ListedUser {
  user_id: string;
  username: string;
  display_name: string;
  avatar_url: string;
  locked: boolean;
  created_at: Date;
}

/** A page of a list, and the time whose profile visibility it shows. */
type Paging = { pageSize: number; pageToken: string; codec: PageTokenCodec; now: Date };

/** Neither `viewerId` blocks the user in `ref` nor the other way round. */
function notBlockedWith(
  eb: ExpressionBuilder<GraphViewDb, 'follows' | 'profiles'>,
  viewerId: string,
  ref: 'follows.follower_id' | 'follows.followee_id',
) {
  return eb.not(
    eb.exists(
      eb
        .selectFrom('blocks')
        .select('blocks.blocker_id')
        .where((b) =>
          b.or([
            b.and([b('blocks.blocker_id', '=', viewerId), b('blocks.blocked_id', '=', b.ref(ref))]),
            b.and([b('blocks.blocked_id', '=', viewerId), b('blocks.blocker_id', '=', b.ref(ref))]),
          ]),
        ),
    ),
  );
}

/**
 * A page of `userId`'s followers (`side` 'followers') or followees ('following') as `viewerId`
 * sees them, newest first: hidden profiles and users blocked either way with the viewer are
 * left out.
 */
export function followListPage(
  db: Kysely<GraphViewDb>,
  input: Paging & { userId: string; viewerId: string; side: 'followers' | 'following' },
) {
  const [own, other] =
    input.side === 'followers'
      ? (['follows.followee_id', 'follows.follower_id'] as const)
      : (['follows.follower_id', 'follows.followee_id'] as const);
  const query = db
    .selectFrom('follows')
    .innerJoin('profiles', 'profiles.user_id', other)
    .select([
      'profiles.user_id',
      'profiles.username',
      'profiles.display_name',
      'profiles.avatar_url',
      'profiles.locked',
      'follows.created_at',
    ])
    .where(own, '=', input.userId)
    .where(profileShownAt(input.now))
    .where((eb) => notBlockedWith(eb, input.viewerId, other));
  return fetchPage(query, {
    columns: [
      { ref: 'follows.created_at', direction: 'desc' },
      { ref: other, direction: 'desc' },
    ],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `user.List${input.side}|${input.userId}|${input.viewerId}`,
    keysOf: (row: ListedUser) => [row.created_at],
    idOf: (row: ListedUser) => row.user_id,
  });
}

/** A page of the follow requests pending to `targetId`, oldest first (hidden requesters left out). */
export function followRequestsPage(db: Kysely<GraphViewDb>, input: Paging & { targetId: string }) {
  const query = db
    .selectFrom('follow_requests')
    .innerJoin('profiles', 'profiles.user_id', 'follow_requests.requester_id')
    .select([
      'profiles.user_id',
      'profiles.username',
      'profiles.display_name',
      'profiles.avatar_url',
      'profiles.locked',
      'follow_requests.created_at',
    ])
    .where('follow_requests.target_id', '=', input.targetId)
    .where(profileShownAt(input.now));
  return fetchPage(query, {
    columns: [
      { ref: 'follow_requests.created_at', direction: 'asc' },
      { ref: 'follow_requests.requester_id', direction: 'asc' },
    ],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `user.ListFollowRequests|${input.targetId}`,
    keysOf: (row: ListedUser) => [row.created_at],
    idOf: (row: ListedUser) => row.user_id,
  });
}

/**
 * Follows between the two users, both ways, removed (a block); the pairs that existed. Both
 * rows go in one statement before any count changes, so the locks are taken in the same order
 * as a single unfollow's (edge, then counts by id) and the two never deadlock.
 */
export async function deleteFollowsBetween(
  db: Trx<GraphViewDb>,
  a: string,
  b: string,
): Promise<{ followerId: string; followeeId: string }[]> {
  const rows = await db
    .deleteFrom('follows')
    .where((eb) =>
      eb.or([
        eb.and([eb('follower_id', '=', a), eb('followee_id', '=', b)]),
        eb.and([eb('follower_id', '=', b), eb('followee_id', '=', a)]),
      ]),
    )
    .returning(['follower_id', 'followee_id'])
    .execute();
  const removed = rows.map((row) => ({ followerId: row.follower_id, followeeId: row.followee_id }));
  for (const edge of removed) await adjustCounts(db, edge.followerId, edge.followeeId, -1);
  return removed;
}

/** Pending follow requests between the two users, both ways, removed; the pairs that existed. */
export async function deleteFollowRequestsBetween(
  db: Kysely<GraphViewDb>,
  a: string,
  b: string,
): Promise<{ requesterId: string; targetId: string }[]> {
  const rows = await db
    .deleteFrom('follow_requests')
    .where((eb) =>
      eb.or([
        eb.and([eb('requester_id', '=', a), eb('target_id', '=', b)]),
        eb.and([eb('requester_id', '=', b), eb('target_id', '=', a)]),
      ]),
    )
    .returning(['requester_id', 'target_id'])
    .execute();
  return rows.map((row) => ({ requesterId: row.requester_id, targetId: row.target_id }));
}

/** Who has a follow request pending to `targetId`, in id order (the order their pairs are locked). */
export async function pendingRequesterIds(
  db: Kysely<GraphViewDb>,
  targetId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('follow_requests')
    .select('requester_id')
    .where('target_id', '=', targetId)
    .orderBy('requester_id')
    .execute();
  return rows.map((row) => row.requester_id);
}
