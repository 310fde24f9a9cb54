import { NotFoundError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import { blocksPage, deleteBlock, insertBlock } from './block-store.js';
import { deleteFollowRequestsBetween, deleteFollowsBetween } from './follow-store.js';
import { emitUnfollowed } from './follows.js';
import { graphDb, sharedGraph } from './graph-db.js';
import { visibleProfile } from './graph-profile-store.js';
import { lockPair, nextEdgeVersion } from './relationship-store.js';
import { relationshipWith, requireOtherUser, toUserSummary } from './relationships.js';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';

/**
 * Block: removes follows (user.unfollowed each, counts adjusted) and pending follow requests
 * both ways, then publishes user.blocked. NotFound for an unknown or hidden user; blocking a
 * user who blocks the caller succeeds and reveals nothing. Blocking again changes nothing.
 */
export async function block(app: UserApp, caller: SignedInCaller, userId: string) {
  requireOtherUser(caller, userId);
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const db = graphDb(trx);
    await lockPair(sharedGraph(db), callerId, userId);
    if (!(await visibleProfile(db, userId, callerId, caller.now)))
      throw new NotFoundError('user not found');
    if (await insertBlock(db, callerId, userId, caller.now)) {
      for (const edge of await deleteFollowsBetween(db, callerId, userId)) {
        await emitUnfollowed(app, trx, callerId, edge.followerId, edge.followeeId);
      }
      for (const request of await deleteFollowRequestsBetween(db, callerId, userId)) {
        await nextEdgeVersion(sharedGraph(db), 'follow', request.requesterId, request.targetId);
      }
      const version = await nextEdgeVersion(sharedGraph(db), 'block', callerId, userId);
      await app.emit(trx, callerId, {
        case: 'userBlocked',
        value: { blockerId: callerId, blockedId: userId, version },
      });
    }
    return relationshipWith(db, callerId, userId, caller.now);
  });
}

/** Unblock: ends the block (user.unblocked); the follows it removed stay gone. Succeeds when none. */
export async function unblock(app: UserApp, caller: SignedInCaller, userId: string) {
  requireOtherUser(caller, userId);
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const db = graphDb(trx);
    await lockPair(sharedGraph(db), callerId, userId);
    if (await deleteBlock(db, callerId, userId)) {
      const version = await nextEdgeVersion(sharedGraph(db), 'block', callerId, userId);
      await app.emit(trx, callerId, {
        case: 'userUnblocked',
        value: { blockerId: callerId, blockedId: userId, version },
      });
    }
    return relationshipWith(db, callerId, userId, caller.now);
  });
}

/** ListBlocks: the users the caller blocks, newest first. */
export async function listBlocks(
  app: UserApp,
  caller: SignedInCaller,
  request: { pageSize: number; pageToken: string },
) {
  const page = await blocksPage(graphDb(app.database.db), {
    blockerId: caller.principal.userId,
    now: caller.now,
    ...request,
    codec: app.pageTokens,
  });
  return {
    blocks: page.items.map((row) => ({
      user: toUserSummary(row),
      blockedAt: timestampFromDate(row.created_at),
    })),
    nextPageToken: page.nextPageToken,
  };
}
