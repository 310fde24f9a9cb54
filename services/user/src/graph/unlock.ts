import type { Trx } from '@kith/db';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import { deleteFollowRequest, insertFollow, pendingRequesterIds } from './follow-store.js';
import { emitFollowed } from './follows.js';
import { graphDb, sharedGraph } from './graph-db.js';
import { lockPair, nextEdgeVersion } from './relationship-store.js';

/**
 * When a locked account unlocks, its pending follow requests are accepted (as Mastodon does:
 * the contracts are silent, and a request to an open account has nothing left to wait for).
 * Each becomes a follow with user.followed via_follow_request. For UpdateProfile (the profiles
 * area) to call in its transaction when `locked` goes from true to false. Returns how many.
 */
export async function acceptPendingFollowRequests(
  app: UserApp,
  trx: Trx<UserDatabase>,
  targetId: string,
  now: Date,
): Promise<number> {
  const db = graphDb(trx);
  let accepted = 0;
  for (const requesterId of await pendingRequesterIds(db, targetId)) {
    await lockPair(sharedGraph(db), targetId, requesterId);
    // Withdrawn or removed by a block while we waited for the pair: nothing to accept.
    if (!(await deleteFollowRequest(db, requesterId, targetId))) continue;
    if (await insertFollow(db, requesterId, targetId, now)) {
      await emitFollowed(app, trx, targetId, {
        followerId: requesterId,
        followeeId: targetId,
        viaFollowRequest: true,
      });
      accepted++;
    } else {
      await nextEdgeVersion(sharedGraph(db), 'follow', requesterId, targetId);
    }
  }
  return accepted;
}
