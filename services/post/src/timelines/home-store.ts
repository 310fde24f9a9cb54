import type { Kysely, SqlBool } from 'kysely';
import { sql } from 'kysely';
import type { PostDatabase } from '../db/schema.js';
import { blockedEitherWay } from '../posts/visibility-store.js';

type Db = Kysely<PostDatabase>;

/**
 * Whose home timeline a new entry by `actorId` belongs in: the actor's, their followers' (none
 * who mutes them or stands in a block with them) and, for a circle post, the members of its
 * circles. Visibility is checked again when a list is read.
 */
export async function fanOutRecipients(
  db: Db,
  actorId: string,
  circleIds: readonly string[],
  now: Date,
): Promise<string[]> {
  const followers = await db
    .selectFrom('follows as f')
    .select('f.follower_id as id')
    .where('f.followee_id', '=', actorId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('mutes as mu')
            .select('mu.muter_id')
            .whereRef('mu.muter_id', '=', 'f.follower_id')
            .where('mu.muted_id', '=', actorId)
            .where((eb) => eb.or([eb('mu.expires_at', 'is', null), eb('mu.expires_at', '>', now)])),
        ),
      ),
    )
    .where(sql<SqlBool>`not ${blockedEitherWay(sql.ref('f.follower_id'), sql`${actorId}::uuid`)}`)
    .execute();
  const members =
    circleIds.length === 0
      ? []
      : await db
          .selectFrom('circle_members')
          .select('user_id as id')
          .where('circle_id', 'in', circleIds)
          .where('role', '>', 0)
          .execute();
  return [...new Set([actorId, ...followers.map((r) => r.id), ...members.map((r) => r.id)])];
}

/** How many follow the user (post's projection). */
export async function followerCount(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('follows')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('followee_id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.n;
}

/** Records whether the user's reach is too wide to fan out (their posts merged on read). */
export async function setWideReach(db: Db, userId: string, wide: boolean): Promise<void> {
  await db
    .updateTable('users')
    .set({ wide_reach: wide })
    .where('user_id', '=', userId)
    .where('wide_reach', '<>', wide)
    .execute();
}

/** The user's repost of the post: its id and time (the timeline entry), if it still stands. */
export async function repostOf(db: Db, postId: string, userId: string) {
  return db
    .selectFrom('reposts')
    .select(['id', 'created_at'])
    .where('post_id', '=', postId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** Which of the repost ids still stand. */
export async function standingReposts(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('reposts').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * What reading a cached home list needs of the viewer, in one statement: the users they mute
 * at `now`, and the wide-reach users they follow (whose posts are merged in on read).
 */
export async function homeReader(
  db: Db,
  viewer: string,
  now: Date,
): Promise<{ muted: Set<string>; wideReach: string[] }> {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('mutes')
        .select(sql<string[]>`coalesce(array_agg(muted_id::text), '{}')`.as('ids'))
        .where('muter_id', '=', viewer)
        .where((w) => w.or([w('expires_at', 'is', null), w('expires_at', '>', now)]))
        .as('muted'),
      eb
        .selectFrom('follows as f')
        .innerJoin('users as u', 'u.user_id', 'f.followee_id')
        .select(sql<string[]>`coalesce(array_agg(f.followee_id::text), '{}')`.as('ids'))
        .where('f.follower_id', '=', viewer)
        .where('u.wide_reach', '=', true)
        .as('wide_reach'),
    ])
    .executeTakeFirstOrThrow();
  return { muted: new Set(row.muted ?? []), wideReach: row.wide_reach ?? [] };
}
