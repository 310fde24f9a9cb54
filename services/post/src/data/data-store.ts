import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { PostDatabase } from '../db/schema.js';
import { POST_COLUMNS } from '../posts/post-store.js';
import type { PostRecord } from '../posts/post-store.js';

type Db = Kysely<PostDatabase>;

/** The user's live posts and replies, locked. */
export async function livePostsBy(db: Db, userId: string): Promise<PostRecord[]> {
  return db
    .selectFrom('posts as p')
    .select(POST_COLUMNS)
    .where('p.author_id', '=', userId)
    .where('p.deleted_at', 'is', null)
    .forUpdate()
    .execute();
}

/** The posts the user liked or reposted (each mark once), to take back. */
export async function marksBy(db: Db, userId: string) {
  const [likes, reposts] = await Promise.all([
    db
      .selectFrom('likes as l')
      .innerJoin('posts as p', 'p.id', 'l.post_id')
      .select(['l.post_id', 'p.author_id'])
      .where('l.user_id', '=', userId)
      .execute(),
    db
      .selectFrom('reposts as r')
      .innerJoin('posts as p', 'p.id', 'r.post_id')
      .select(['r.id', 'r.post_id', 'p.author_id'])
      .where('r.user_id', '=', userId)
      .execute(),
  ]);
  return { likes, reposts };
}

/**
 * Every row left about the user: their posts (tombstones, revisions, the likes, bookmarks and
 * reposts on them go with them), their own likes, bookmarks and reposts, the projections of
 * their profile, follows, blocks, mutes and memberships, and their id in other posts' mentions
 * and grants (the text others wrote stays as they wrote it).
 */
export async function forgetUser(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('posts').where('author_id', '=', userId).execute();
  await db.deleteFrom('likes').where('user_id', '=', userId).execute();
  await db.deleteFrom('bookmarks').where('user_id', '=', userId).execute();
  await db.deleteFrom('reposts').where('user_id', '=', userId).execute();
  await db.deleteFrom('users').where('user_id', '=', userId).execute();
  await db
    .deleteFrom('follows')
    .where((eb) => eb.or([eb('follower_id', '=', userId), eb('followee_id', '=', userId)]))
    .execute();
  await db
    .deleteFrom('blocks')
    .where((eb) => eb.or([eb('blocker_id', '=', userId), eb('blocked_id', '=', userId)]))
    .execute();
  await db
    .deleteFrom('mutes')
    .where((eb) => eb.or([eb('muter_id', '=', userId), eb('muted_id', '=', userId)]))
    .execute();
  await db.deleteFrom('circle_members').where('user_id', '=', userId).execute();
  await db
    .deleteFrom('applied_edge_versions')
    .where((eb) => eb.or([eb('from_id', '=', userId), eb('to_id', '=', userId)]))
    .execute();
  await db
    .updateTable('posts')
    .set({
      mentions: sql`coalesce((select jsonb_agg(m) from jsonb_array_elements(mentions) m where m->>'user_id' <> ${userId}), '[]'::jsonb)`,
      granted_user_ids: sql`array_remove(granted_user_ids, ${userId}::uuid)`,
    })
    .where((eb) =>
      eb.or([
        sql<boolean>`mentions @> ${JSON.stringify([{ user_id: userId }])}::jsonb`,
        sql<boolean>`${userId}::uuid = any(granted_user_ids)`,
      ]),
    )
    .execute();
}

/** What the export holds of the user's own posts: every live one, with its revisions. */
export async function exportPosts(db: Db, userId: string) {
  const posts = await db
    .selectFrom('posts as p')
    .select(POST_COLUMNS)
    .where('p.author_id', '=', userId)
    .where('p.deleted_at', 'is', null)
    .orderBy('p.id')
    .execute();
  const revisions =
    posts.length === 0
      ? []
      : await db
          .selectFrom('post_revisions')
          .selectAll()
          .where(
            'post_id',
            'in',
            posts.map((p) => p.id),
          )
          .orderBy('post_id')
          .orderBy('revision')
          .execute();
  return { posts, revisions };
}

/** The user's likes, bookmarks and reposts (post ids and when). */
export async function exportMarks(db: Db, userId: string) {
  const likes = await db
    .selectFrom('likes')
    .select(['post_id', 'created_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  const bookmarks = await db
    .selectFrom('bookmarks')
    .select(['post_id', 'created_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  const reposts = await db
    .selectFrom('reposts')
    .select(['post_id', 'created_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  return { likes, bookmarks, reposts };
}
