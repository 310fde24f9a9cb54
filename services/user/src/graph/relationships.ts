import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { InvalidArgumentError, NotFoundError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { UserApp } from '../app.js';
import type { GraphViewDb } from './graph-db.js';
import { graphDb, sharedGraph } from './graph-db.js';
import { profileWithBlocks } from './graph-profile-store.js';
import type { GraphProfile } from './graph-profile-store.js';
import { relationshipsAndVisibilityOf, relationshipsOf } from './relationship-store.js';
import type { RelationshipRow } from './relationship-store.js';
import type { ListedUser } from './follow-store.js';

/** kith.user.v1.Relationship, as the handlers answer it. */
export function toRelationship(row: RelationshipRow) {
  return {
    userId: row.userId,
    following: row.following,
    followedBy: row.followedBy,
    followRequested: row.followRequested,
    followRequestReceived: row.followRequestReceived,
    blocking: row.blocking,
    muting: row.muting,
    mutingNotifications: row.mutingNotifications,
    muteExpiresAt: row.muteExpiresAt ? timestampFromDate(row.muteExpiresAt) : undefined,
  };
}

/** kith.common.v1.UserSummary of a listed user. */
export function toUserSummary(row: ListedUser) {
  return {
    userId: row.user_id,
    username: row.username,
    displayName: row.display_name,
    avatarUrl: row.avatar_url,
    locked: row.locked,
  };
}

/** The caller's relationship with one user, after a change in `db` (the transaction). */
export async function relationshipWith(
  db: Kysely<GraphViewDb>,
  viewerId: string,
  userId: string,
  now: Date,
) {
  const [row] = await relationshipsOf(sharedGraph(db), viewerId, [userId], now);
  return toRelationship(row!);
}

/** The graph's changes name another user: never the caller (InvalidArgument on user_id). */
export function requireOtherUser(caller: SignedInCaller, userId: string): void {
  if (userId === caller.principal.userId) {
    throw new InvalidArgumentError([{ field: 'user_id', message: 'must not be your own id' }]);
  }
}

/**
 * The target of a follow or a mute: a user the caller may see. NotFound for an unknown or
 * hidden user and for one who blocks the caller (the same answer, so the block stays hidden).
 * Returns whether the caller blocks them (the caller's own block is no secret to them).
 */
export async function requireReachable(
  db: Kysely<GraphViewDb>,
  callerId: string,
  userId: string,
  now: Date,
): Promise<{ profile: GraphProfile; callerBlocks: boolean }> {
  const found = await profileWithBlocks(db, userId, callerId, now);
  if (!found || found.blocksViewer) throw new NotFoundError('user not found');
  const { blocksViewer: _, blockedByViewer, ...profile } = found;
  return { profile, callerBlocks: blockedByViewer };
}

/**
 * GetRelationships: up to 100, in the order asked. An unknown or hidden user and one who
 * blocks the caller read as no relationship (only user_id set).
 */
export async function getRelationships(
  app: UserApp,
  caller: SignedInCaller,
  userIds: readonly string[],
) {
  const callerId = caller.principal.userId;
  const rows = await relationshipsAndVisibilityOf(
    graphDb(app.database.db),
    callerId,
    userIds,
    caller.now,
  );
  return rows.map(({ relationship, shown }) =>
    shown || relationship.userId === callerId
      ? toRelationship(relationship)
      : { userId: relationship.userId },
  );
}

/** Whether `viewerId` may look at `userId`'s lists at all (NotFound otherwise). */
export async function requireListable(
  db: Kysely<GraphViewDb>,
  viewerId: string,
  userId: string,
  now: Date,
): Promise<GraphProfile> {
  const found = await profileWithBlocks(db, userId, viewerId, now);
  if (!found || found.blocksViewer) throw new NotFoundError('user not found');
  const { blocksViewer: _, blockedByViewer: __, ...profile } = found;
  return profile;
}
