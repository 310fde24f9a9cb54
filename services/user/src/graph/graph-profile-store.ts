import type { Kysely } from 'kysely';
import { profileShownAt } from '../profiles/profile-visibility.js';
import type { GraphViewDb } from './graph-db.js';

/** A profile as the graph needs it: whether to show it, its flags and its summary. */
export interface GraphProfile {
  userId: string;
  username: string;
  displayName: string;
  locked: boolean;
  hideFollowLists: boolean;
}

/** The graph's summary of a profile row. */
function graphProfile(row: {
  user_id: string;
  username: string;
  display_name: string;
  locked: boolean;
  hide_follow_lists: boolean;
}): GraphProfile {
  return {
    userId: row.user_id,
    username: row.username,
    displayName: row.display_name,
    locked: row.locked,
    hideFollowLists: row.hide_follow_lists,
  };
}

/** The profile row of `userId` if `viewerId` may see it (the owner sees their own hidden one). */
function shownProfile(db: Kysely<GraphViewDb>, userId: string, viewerId: string, now: Date) {
  return db
    .selectFrom('profiles')
    .select(['user_id', 'username', 'display_name', 'locked', 'hide_follow_lists'])
    .where('user_id', '=', userId)
    .where((eb) => (userId === viewerId ? eb.val(true) : profileShownAt(now)));
}

/**
 * The user as `viewerId` may see them at `now` (the owner sees their own hidden profile);
 * undefined for an unknown or hidden user. Blocks are the caller's to check (`profileWithBlocks`
 * has them in the same statement).
 */
export async function visibleProfile(
  db: Kysely<GraphViewDb>,
  userId: string,
  viewerId: string,
  now: Date,
): Promise<GraphProfile | undefined> {
  const row = await shownProfile(db, userId, viewerId, now).executeTakeFirst();
  return row && graphProfile(row);
}

/**
 * `visibleProfile` and the blocks between the two users, in one statement: whether `userId`
 * blocks the viewer and whether the viewer blocks `userId`.
 */
export async function profileWithBlocks(
  db: Kysely<GraphViewDb>,
  userId: string,
  viewerId: string,
  now: Date,
): Promise<(GraphProfile & { blocksViewer: boolean; blockedByViewer: boolean }) | undefined> {
  const blockExists = (blockerId: string, blockedId: string) =>
    db
      .selectFrom('blocks')
      .select('blocker_id')
      .where('blocker_id', '=', blockerId)
      .where('blocked_id', '=', blockedId);
  const row = await shownProfile(db, userId, viewerId, now)
    .select((eb) => [
      eb.exists(blockExists(userId, viewerId)).as('blocks_viewer'),
      eb.exists(blockExists(viewerId, userId)).as('blocked_by_viewer'),
    ])
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    ...graphProfile(row),
    blocksViewer: Boolean(row.blocks_viewer),
    blockedByViewer: Boolean(row.blocked_by_viewer),
  };
}
