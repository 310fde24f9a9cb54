import type { ExpressionBuilder, Kysely } from 'kysely';
import type { GraphViewDb } from './graph-db.js';

/**
 * Whether a profile row may be shown to someone other than its owner. TODO(#10): the profiles
 * area adds the hiding columns (disabled by staff, suspended or banned by moderation, erased);
 * each joins this condition when it lands. Today: not deleted, no deletion pending.
 */
export function profileShown(eb: ExpressionBuilder<GraphViewDb, 'profiles'>) {
  return eb.and([
    eb('profiles.deleted_at', 'is', null),
    eb('profiles.deletion_scheduled_for', 'is', null),
  ]);
}

/** A profile as the graph needs it: whether to show it, its flags and its summary. */
export interface GraphProfile {
  userId: string;
  username: string;
  displayName: string;
  locked: boolean;
  hideFollowLists: boolean;
}

/**
 * The user as `viewerId` may see them (the owner sees their own hidden profile); undefined for
 * an unknown or hidden user. Blocks are the caller's to check (`blockedEitherWay`).
 */
export async function visibleProfile(
  db: Kysely<GraphViewDb>,
  userId: string,
  viewerId: string,
): Promise<GraphProfile | undefined> {
  const row = await db
    .selectFrom('profiles')
    .select(['user_id', 'username', 'display_name', 'locked', 'hide_follow_lists'])
    .where('user_id', '=', userId)
    .where((eb) => (userId === viewerId ? eb.val(true) : profileShown(eb)))
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

/** Whether `userId` exists and is shown to people other than its owner. */
export async function isVisibleUser(db: Kysely<GraphViewDb>, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('profiles')
    .select('user_id')
    .where('user_id', '=', userId)
    .where(profileShown)
    .executeTakeFirst();
  return row !== undefined;
}

/** Of `ids`, those that exist and are shown to people other than their owners. */
export async function visibleAmong(
  db: Kysely<GraphViewDb>,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('profiles')
    .select('user_id')
    .where('user_id', 'in', ids)
    .where(profileShown)
    .execute();
  return new Set(rows.map((row) => row.user_id));
}
