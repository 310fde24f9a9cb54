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

/**
 * The user as `viewerId` may see them at `now` (the owner sees their own hidden profile);
 * undefined for an unknown or hidden user. Blocks are the caller's to check (`blockedEitherWay`).
 */
export async function visibleProfile(
  db: Kysely<GraphViewDb>,
  userId: string,
  viewerId: string,
  now: Date,
): Promise<GraphProfile | undefined> {
  const row = await db
    .selectFrom('profiles')
    .select(['user_id', 'username', 'display_name', 'locked', 'hide_follow_lists'])
    .where('user_id', '=', userId)
    .where((eb) => (userId === viewerId ? eb.val(true) : profileShownAt(now)))
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    userId: row.user_id,
    username: row.username,
    displayName: row.display_name,
    locked: row.locked,
    hideFollowLists: row.hide_follow_lists,
  };
}

/** Whether `userId` exists and is shown to people other than its owner at `now`. */
export async function isVisibleUser(
  db: Kysely<GraphViewDb>,
  userId: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .selectFrom('profiles')
    .select('user_id')
    .where('user_id', '=', userId)
    .where(profileShownAt(now))
    .executeTakeFirst();
  return row !== undefined;
}
