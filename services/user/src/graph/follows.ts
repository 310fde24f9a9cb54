import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import type { Trx } from '@kith/db';
import type { SignedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import { graphDb, sharedGraph } from './graph-db.js';
import {
  deleteFollow,
  deleteFollowRequest,
  insertFollow,
  insertFollowRequest,
} from './follow-store.js';
import { visibleProfile } from './graph-profile-store.js';
import { isFollowing, lockPair, nextEdgeVersion } from './relationship-store.js';
import { relationshipWith, requireOtherUser, requireReachable } from './relationships.js';

/** Publishes the end of a follow (user.unfollowed) with the edge's next version. */
export async function emitUnfollowed(
  app: UserApp,
  trx: Trx<UserDatabase>,
  actorId: string | null,
  followerId: string,
  followeeId: string,
): Promise<void> {
  const version = await nextEdgeVersion(
    sharedGraph(graphDb(trx)),
    'follow',
    followerId,
    followeeId,
  );
  await app.emit(trx, actorId, {
    case: 'userUnfollowed',
    value: { followerId, followeeId, version },
  });
}

/** Publishes a new follow (user.followed) with the edge's next version. */
export async function emitFollowed(
  app: UserApp,
  trx: Trx<UserDatabase>,
  actorId: string,
  edge: { followerId: string; followeeId: string; viaFollowRequest: boolean },
): Promise<void> {
  const version = await nextEdgeVersion(
    sharedGraph(graphDb(trx)),
    'follow',
    edge.followerId,
    edge.followeeId,
  );
  await app.emit(trx, actorId, { case: 'userFollowed', value: { ...edge, version } });
}

/**
 * Follow: a locked account gets a follow request (user.follow_requested), anyone else a follow
 * (user.followed). NotFound for an unknown or hidden user and one who blocks the caller;
 * FailedPrecondition while the caller blocks them. Following again changes nothing.
 */
export async function follow(app: UserApp, caller: SignedInCaller, userId: string) {
  requireOtherUser(caller, userId);
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const db = graphDb(trx);
    await lockPair(sharedGraph(db), callerId, userId);
    const { profile, callerBlocks } = await requireReachable(db, callerId, userId, caller.now);
    if (callerBlocks) throw new FailedPreconditionError('unblock this user to follow them');
    if (profile.locked) {
      // A follower of an account that locked later stays one: nothing to request.
      const already = await isFollowing(sharedGraph(db), callerId, userId);
      if (!already && (await insertFollowRequest(db, callerId, userId, caller.now))) {
        const version = await nextEdgeVersion(sharedGraph(db), 'follow', callerId, userId);
        await app.emit(trx, callerId, {
          case: 'userFollowRequested',
          value: { requesterId: callerId, targetId: userId, version },
        });
      }
    } else if (await insertFollow(db, callerId, userId, caller.now)) {
      // A request left from when the account was locked is answered by the follow itself.
      await deleteFollowRequest(db, callerId, userId);
      await emitFollowed(app, trx, callerId, {
        followerId: callerId,
        followeeId: userId,
        viaFollowRequest: false,
      });
    }
    return relationshipWith(db, callerId, userId, caller.now);
  });
}

/**
 * Unfollow: ends the follow (user.unfollowed) or withdraws a pending request (the edge's
 * version moves on; no event names a withdrawn request). Succeeds when there is nothing to undo.
 */
export async function unfollow(app: UserApp, caller: SignedInCaller, userId: string) {
  requireOtherUser(caller, userId);
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const db = graphDb(trx);
    await lockPair(sharedGraph(db), callerId, userId);
    if (await deleteFollow(db, callerId, userId)) {
      await deleteFollowRequest(db, callerId, userId);
      await emitUnfollowed(app, trx, callerId, callerId, userId);
    } else if (await deleteFollowRequest(db, callerId, userId)) {
      await nextEdgeVersion(sharedGraph(db), 'follow', callerId, userId);
    }
    return relationshipWith(db, callerId, userId, caller.now);
  });
}

/** RemoveFollower: `userId` stops following the caller (user.unfollowed); succeeds when they do not. */
export async function removeFollower(app: UserApp, caller: SignedInCaller, userId: string) {
  requireOtherUser(caller, userId);
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const db = graphDb(trx);
    await lockPair(sharedGraph(db), callerId, userId);
    if (await deleteFollow(db, userId, callerId)) {
      await emitUnfollowed(app, trx, callerId, userId, callerId);
    }
    return relationshipWith(db, callerId, userId, caller.now);
  });
}

/**
 * AcceptFollowRequest: the requester now follows the caller (user.followed with
 * via_follow_request). NotFound when no request from them is pending (or they are hidden).
 */
export async function acceptFollowRequest(app: UserApp, caller: SignedInCaller, userId: string) {
  requireOtherUser(caller, userId);
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const db = graphDb(trx);
    await lockPair(sharedGraph(db), callerId, userId);
    const requester = await visibleProfile(db, userId, callerId, caller.now);
    if (!requester || !(await deleteFollowRequest(db, userId, callerId))) {
      throw new NotFoundError('follow request not found');
    }
    if (await insertFollow(db, userId, callerId, caller.now)) {
      await emitFollowed(app, trx, callerId, {
        followerId: userId,
        followeeId: callerId,
        viaFollowRequest: true,
      });
    } else {
      await nextEdgeVersion(sharedGraph(db), 'follow', userId, callerId);
    }
    return relationshipWith(db, callerId, userId, caller.now);
  });
}

/**
 * RejectFollowRequest: the request goes, the requester is not told (no event; the edge's
 * version moves on). NotFound when none is pending.
 */
export async function rejectFollowRequest(app: UserApp, caller: SignedInCaller, userId: string) {
  requireOtherUser(caller, userId);
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const db = graphDb(trx);
    await lockPair(sharedGraph(db), callerId, userId);
    if (!(await deleteFollowRequest(db, userId, callerId))) {
      throw new NotFoundError('follow request not found');
    }
    await nextEdgeVersion(sharedGraph(db), 'follow', userId, callerId);
    return relationshipWith(db, callerId, userId, caller.now);
  });
}
