import type { Trx } from '@kith/db';
import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { PostDatabase, PostsTable, StoredMention } from '../db/schema.js';
import { AUDIENCE } from '../db/schema.js';
import type { Viewer } from './visibility-store.js';
import { live, visibleTo, visibleToUser } from './visibility-store.js';
import { notePostChanged } from './anonymous-cache.js';

export type PostRow = Selectable<PostsTable>;
type Db = Kysely<PostDatabase>;
/** A transaction: every change to a post's row notes it for the caches (`notePostChanged`). */
export type PostTrx = Db & Pick<Trx<PostDatabase>, 'notifyOnCommit'>;

/** The columns a post message is built from (the search vector stays in the table). */
export const POST_COLUMNS = [
  'p.id',
  'p.author_id',
  'p.text',
  'p.content_warning',
  'p.sensitive',
  'p.language',
  'p.media_ids',
  'p.audience',
  'p.circle_ids',
  'p.audience_owner_id',
  'p.granted_user_ids',
  'p.mentions',
  'p.hashtags',
  'p.reply_to_post_id',
  'p.root_post_id',
  'p.quote_post_id',
  'p.depth',
  'p.reply_count',
  'p.like_count',
  'p.repost_count',
  'p.quote_count',
  'p.revision',
  'p.version',
  'p.moderation_state',
  'p.moderation_version',
  'p.created_at',
  'p.edited_at',
  'p.expires_at',
  'p.deleted_at',
  'p.deletion_reason',
] as const;

export type PostRecord = Omit<PostRow, 'search'>;

/** The posts among `ids` the viewer may see, by id. */
export async function visiblePosts(
  db: Db,
  viewer: Viewer,
  ids: readonly string[],
  now: Date,
): Promise<Map<string, PostRecord>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .selectFrom('posts as p')
    .select(POST_COLUMNS)
    .where('p.id', 'in', unique)
    .where(visibleTo(viewer, now))
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** One post the viewer may see; undefined otherwise (the caller answers NotFound). */
export async function visiblePost(
  db: Db,
  viewer: Viewer,
  id: string,
  now: Date,
): Promise<PostRecord | undefined> {
  return (await visiblePosts(db, viewer, [id], now)).get(id);
}

/**
 * The caller's own post that is not deleted (`lock`: for an update, in a transaction);
 * undefined when it is someone else's or deleted.
 */
export async function ownPost(
  db: Db,
  authorId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<PostRecord | undefined> {
  const query = db
    .selectFrom('posts as p')
    .select(POST_COLUMNS)
    .where('p.id', '=', id)
    .where('p.author_id', '=', authorId)
    .where('p.deleted_at', 'is', null);
  return (options.lock ? query.forUpdate() : query).executeTakeFirst();
}

/** The new post's row; its first revision is stored beside it. */
export async function insertPost(
  db: Db,
  row: Omit<
    PostRecord,
    | 'reply_count'
    | 'like_count'
    | 'repost_count'
    | 'quote_count'
    | 'revision'
    | 'version'
    | 'moderation_state'
    | 'moderation_version'
    | 'deleted_at'
    | 'deletion_reason'
  >,
): Promise<PostRecord> {
  const inserted = await db
    .insertInto('posts')
    .values({ ...row, mentions: JSON.stringify(row.mentions) })
    .returning(POST_COLUMNS.map((c) => c.slice(2) as keyof PostRecord))
    .executeTakeFirstOrThrow();
  await insertRevision(db, inserted as PostRecord);
  return inserted as PostRecord;
}

/** Keeps `post` as it now stands as its revision. */
export async function insertRevision(db: Db, post: PostRecord): Promise<void> {
  await db
    .insertInto('post_revisions')
    .values({
      post_id: post.id,
      revision: post.revision,
      text: post.text,
      content_warning: post.content_warning,
      sensitive: post.sensitive,
      language: post.language,
      media_ids: post.media_ids,
      audience: post.audience,
      circle_ids: post.circle_ids,
      created_at: post.edited_at ?? post.created_at,
    })
    .execute();
}

export type CountColumn = 'reply_count' | 'like_count' | 'repost_count' | 'quote_count';

/**
 * Moves one of a post's counts by `delta` (never below 0) and its version with it; the new
 * count and version.
 */
export async function bumpCount(
  trx: PostTrx,
  postId: string,
  column: CountColumn,
  delta: 1 | -1,
): Promise<{ count: number; version: bigint }> {
  notePostChanged(trx, postId);
  const row = await trx
    .updateTable('posts')
    .set({
      [column]: sql`greatest(${sql.ref(column)} + ${delta}, 0)`,
      version: sql`version + 1`,
    })
    .where('id', '=', postId)
    .returning([column, 'version'])
    .executeTakeFirstOrThrow();
  return { count: (row as Record<CountColumn, number>)[column], version: BigInt(row.version) };
}

/** The user ids whose usernames are given (lower-cased), from post's projection of profiles. */
export async function usersByUsername(
  db: Db,
  usernames: readonly string[],
): Promise<Map<string, { user_id: string; username: string; mention_policy: number }>> {
  if (usernames.length === 0) return new Map();
  const rows = await db
    .selectFrom('users')
    .select(['user_id', 'username', 'mention_policy'])
    .where(sql`lower(username)`, 'in', usernames)
    .execute();
  return new Map(rows.map((r) => [r.username.toLowerCase(), r]));
}

/** Parsed mentions as stored: resolved users, in order. */
export function storedMentions(users: { user_id: string; username: string }[]): StoredMention[] {
  return users.map((u) => ({ user_id: u.user_id, username: u.username }));
}

/** Whether the post's audience is the caller's own followers (what a repost or quote may take). */
export function reachesOwnFollowers(post: PostRecord, userId: string): boolean {
  return post.audience === AUDIENCE.FOLLOWERS && post.audience_owner_id === userId;
}

/** The new content of an edited post: the next revision and version. */
export async function updatePostContent(
  trx: PostTrx,
  id: string,
  changes: Pick<
    PostRecord,
    | 'text'
    | 'content_warning'
    | 'sensitive'
    | 'language'
    | 'audience'
    | 'circle_ids'
    | 'mentions'
    | 'hashtags'
    | 'media_ids'
    | 'edited_at'
  >,
): Promise<PostRecord> {
  notePostChanged(trx, id);
  return trx
    .updateTable('posts as p')
    .set({
      ...changes,
      mentions: JSON.stringify(changes.mentions),
      revision: sql`revision + 1`,
      version: sql`version + 1`,
    })
    .where('p.id', '=', id)
    .returning(POST_COLUMNS)
    .executeTakeFirstOrThrow();
}

/**
 * Marks a live post deleted and wipes its content and earlier revisions (the row stays as a
 * tombstone) unless `keepContent` (a moderation removal, which a reversal restores); its new
 * version, or undefined when it was already deleted.
 */
export async function markDeleted(
  trx: PostTrx,
  id: string,
  reason: number,
  now: Date,
  keepContent = false,
): Promise<bigint | undefined> {
  notePostChanged(trx, id);
  const wipe = { text: '', content_warning: '', mentions: '[]', hashtags: [], media_ids: [] };
  const row = await trx
    .updateTable('posts')
    .set({
      deleted_at: now,
      deletion_reason: reason,
      version: sql`version + 1`,
      ...(keepContent ? {} : wipe),
    })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returning('version')
    .executeTakeFirst();
  if (!row) return undefined;
  if (!keepContent) await trx.deleteFrom('post_revisions').where('post_id', '=', id).execute();
  return BigInt(row.version);
}

/** Brings back a post moderation removed (deleted with `reason`); the restored row. */
export async function undelete(
  trx: PostTrx,
  id: string,
  reason: number,
): Promise<PostRecord | undefined> {
  notePostChanged(trx, id);
  return trx
    .updateTable('posts as p')
    .set({ deleted_at: null, deletion_reason: null, version: sql`version + 1` })
    .where('p.id', '=', id)
    .where('p.deletion_reason', '=', reason)
    .returning(POST_COLUMNS)
    .executeTakeFirst();
}

/** The post as a moderation subject, locked, deleted or not. */
export async function postForModeration(db: Db, id: string): Promise<PostRecord | undefined> {
  return db
    .selectFrom('posts as p')
    .select(POST_COLUMNS)
    .where('p.id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

/** Sets the post's own moderation state (and forces `sensitive` on for MARKED_SENSITIVE). */
export async function setPostModeration(
  trx: PostTrx,
  id: string,
  change: { state: number; version: bigint; sensitive: boolean },
): Promise<void> {
  notePostChanged(trx, id);
  await trx
    .updateTable('posts')
    .set({
      moderation_state: change.state,
      moderation_version: change.version.toString(),
      ...(change.sensitive ? { sensitive: true } : {}),
      version: sql`version + 1`,
    })
    .where('id', '=', id)
    .execute();
}

/** A post's revisions, for `fetchPage` (newest first by revision). */
export function revisionsOf(db: Db, postId: string) {
  return db
    .selectFrom('post_revisions')
    .select([
      'revision',
      'text',
      'content_warning',
      'sensitive',
      'language',
      'media_ids',
      'audience',
      'circle_ids',
      'created_at',
    ])
    .where('post_id', '=', postId);
}

/** Every repost of a post. */
export async function repostsOf(db: Db, postId: string) {
  return db.selectFrom('reposts').select(['id', 'user_id']).where('post_id', '=', postId).execute();
}

export async function deleteRepost(db: Db, id: string): Promise<void> {
  await db.deleteFrom('reposts').where('id', '=', id).execute();
}

/** Live posts past their expiry, locked (others' locks skipped), oldest expiry first. */
export async function expiredPosts(db: Db, now: Date, limit: number): Promise<PostRecord[]> {
  return db
    .selectFrom('posts as p')
    .select(POST_COLUMNS)
    .where('p.expires_at', '<=', now)
    .where('p.deleted_at', 'is', null)
    .orderBy('p.expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/**
 * A live post for a report: when the reporter wrote it or its audience admits them, blocks
 * between the two set aside (block-then-report is the usual flow).
 */
export async function postForReport(
  db: Db,
  postId: string,
  reporterId: string,
  now: Date,
): Promise<PostRecord | undefined> {
  return db
    .selectFrom('posts as p')
    .select(POST_COLUMNS)
    .where('p.id', '=', postId)
    .where(visibleToUser(sql`${reporterId}::uuid`, now, 'p', { ignoreBlocks: true }))
    .executeTakeFirst();
}

/** The live posts among `postIds` addressed to the circle (replies in its threads included). */
export async function postsInCircle(
  db: Db,
  circleId: string,
  postIds: readonly string[],
  now: Date,
) {
  return db
    .selectFrom('posts as p')
    .select(['p.id', 'p.author_id', 'p.root_post_id', 'p.reply_to_post_id'])
    .where('p.id', 'in', postIds)
    .where(live(now))
    .where('p.audience', '=', AUDIENCE.CIRCLES)
    .where(sql<boolean>`p.circle_ids @> array[${circleId}::uuid]`)
    .execute();
}
