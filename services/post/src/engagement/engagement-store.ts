import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { PostDatabase } from '../db/schema.js';
import { POST_COLUMNS } from '../posts/post-store.js';
import { blockedEitherWay, visibleTo } from '../posts/visibility-store.js';

type Db = Kysely<PostDatabase>;
type Mark = 'likes' | 'bookmarks';

/** Adds the user's like or bookmark; whether it is new. */
export async function addMark(
  db: Db,
  table: Mark,
  postId: string,
  userId: string,
  at: Date,
): Promise<boolean> {
  const row = await db
    .insertInto(table)
    .values({ post_id: postId, user_id: userId, created_at: at })
    .onConflict((oc) => oc.doNothing())
    .returning('post_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Removes the user's like or bookmark; whether there was one. */
export async function removeMark(
  db: Db,
  table: Mark,
  postId: string,
  userId: string,
): Promise<boolean> {
  const row = await db
    .deleteFrom(table)
    .where('post_id', '=', postId)
    .where('user_id', '=', userId)
    .returning('post_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Adds the user's repost; whether it is new. */
export async function addRepost(
  db: Db,
  postId: string,
  userId: string,
  at: Date,
): Promise<boolean> {
  const row = await db
    .insertInto('reposts')
    .values({ id: uuidv7(), post_id: postId, user_id: userId, created_at: at })
    .onConflict((oc) => oc.columns(['post_id', 'user_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Removes the user's repost; the post's author when there was one. */
export async function removeRepost(
  db: Db,
  postId: string,
  userId: string,
): Promise<string | undefined> {
  const row = await db
    .deleteFrom('reposts')
    .where('post_id', '=', postId)
    .where('user_id', '=', userId)
    .returning('id')
    .executeTakeFirst();
  if (!row) return undefined;
  const post = await db
    .selectFrom('posts')
    .select('author_id')
    .where('id', '=', postId)
    .executeTakeFirstOrThrow();
  return post.author_id;
}

/** A post's likers, for `fetchPage`; likers in a block with the viewer either way left out. */
export function likersOf(db: Db, postId: string, viewer: string | undefined) {
  let query = db
    .selectFrom('likes as l')
    .select(['l.user_id', 'l.created_at'])
    .where('l.post_id', '=', postId);
  if (viewer) {
    query = query.where(
      sql<boolean>`not ${blockedEitherWay(sql`${viewer}::uuid`, sql.ref('l.user_id'))}`,
    );
  }
  return query;
}

/** The user's bookmarked posts they may still see, for `fetchPage`. */
export function bookmarkedPosts(db: Db, userId: string, now: Date) {
  return db
    .selectFrom('bookmarks as b')
    .innerJoin('posts as p', 'p.id', 'b.post_id')
    .select([...POST_COLUMNS, 'b.created_at as bookmarked_at'])
    .where('b.user_id', '=', userId)
    .where(visibleTo(userId, now));
}
