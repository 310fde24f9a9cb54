import type { Kysely, SqlBool } from 'kysely';
import { sql } from 'kysely';
import type { PostDatabase } from '../db/schema.js';
import { AUDIENCE } from '../db/schema.js';
import {
  blockedEitherWay,
  limitedPost,
  notMutedBy,
  upForOthers,
  visibleTo,
} from '../posts/visibility-store.js';
import type { Viewer } from '../posts/visibility-store.js';
import type { EntryQuery } from './timeline-page.js';

type Db = Kysely<PostDatabase>;

type EntrySelect = ReturnType<typeof postEntries>;

/** Posts (alias p) as entries at their own time. */
const postEntries = (db: Db) =>
  db
    .selectFrom('posts as p')
    .select([
      'p.id as post_id',
      'p.created_at as at',
      'p.id as key',
      sql<string | null>`null::uuid`.as('reposted_by'),
    ]);

/** Reposts (alias r, their posts p) as entries at the repost's time. */
const repostEntries = (db: Db) =>
  db
    .selectFrom('reposts as r')
    .innerJoin('posts as p', 'p.id', 'r.post_id')
    .select([
      'r.post_id',
      'r.created_at as at',
      'r.id as key',
      sql<string | null>`r.user_id`.as('reposted_by'),
    ]);

const fromEntries = (db: Db, entries: EntrySelect): EntryQuery =>
  db.selectFrom(entries.as('t')).selectAll() as unknown as EntryQuery;

const noReplies = (exclude: boolean) =>
  exclude ? sql<SqlBool>`p.reply_to_post_id is null` : sql<SqlBool>`true`;

/**
 * Home entries: posts and reposts by the viewer and the people they follow, and posts in the
 * viewer's circles, that the viewer may see; muted users' posts and reposts left out.
 */
export function homeEntries(
  db: Db,
  viewer: string,
  now: Date,
  flags: { excludeReplies: boolean; excludeReposts: boolean },
): EntryQuery {
  const followees = db
    .selectFrom('follows')
    .select('followee_id')
    .where('follower_id', '=', viewer);
  const byAuthors = (column: 'p.author_id' | 'r.user_id') =>
    sql<SqlBool>`(${sql.ref(column)} = ${viewer} or ${sql.ref(column)} in (${followees}))`;
  const myCircles = db
    .selectFrom('circle_members')
    .select('circle_id')
    .where('user_id', '=', viewer)
    .where('role', '>', 0);
  const shown = (query: EntrySelect) =>
    query
      .where(visibleTo(viewer, now))
      .where(notMutedBy(viewer, now, sql.ref('p.author_id')))
      .where(noReplies(flags.excludeReplies));
  let entries = shown(postEntries(db).where(byAuthors('p.author_id'))).union(
    shown(postEntries(db).where(sql<SqlBool>`p.circle_ids && array(${myCircles})`)),
  );
  if (!flags.excludeReposts) {
    entries = entries.union(
      shown(
        repostEntries(db)
          .where(byAuthors('r.user_id'))
          .where(notMutedBy(viewer, now, sql.ref('r.user_id'))),
      ),
    );
  }
  return fromEntries(db, entries);
}

/** Posts and reposts by `authorIds` the viewer may see (muted ones left out). */
export function entriesBy(
  db: Db,
  authorIds: readonly string[],
  viewer: string,
  now: Date,
): EntryQuery {
  const shown = (query: EntrySelect) =>
    query.where(visibleTo(viewer, now)).where(notMutedBy(viewer, now, sql.ref('p.author_id')));
  const entries = shown(postEntries(db).where('p.author_id', 'in', authorIds)).unionAll(
    shown(repostEntries(db).where('r.user_id', 'in', authorIds)),
  );
  return fromEntries(db, entries);
}

/** Whether post knows the user and no block stands between them and the viewer. */
export async function userShownTo(db: Db, userId: string, viewer: Viewer): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('user_id')
    .where('user_id', '=', userId)
    .where(
      viewer
        ? sql<boolean>`not ${blockedEitherWay(sql`${viewer}::uuid`, sql.ref('user_id'))}`
        : sql<boolean>`true`,
    )
    .executeTakeFirst();
  return row !== undefined;
}

/** One user's posts and reposts the viewer may see. */
export function userEntries(
  db: Db,
  userId: string,
  viewer: Viewer,
  now: Date,
  flags: { excludeReplies: boolean; excludeReposts: boolean; onlyMedia: boolean },
): EntryQuery {
  const shown = (query: EntrySelect) =>
    query
      .where(visibleTo(viewer, now))
      .where(noReplies(flags.excludeReplies))
      .where(flags.onlyMedia ? sql<SqlBool>`cardinality(p.media_ids) > 0` : sql<SqlBool>`true`);
  const posts = shown(postEntries(db).where('p.author_id', '=', userId));
  const entries =
    flags.excludeReposts || flags.onlyMedia
      ? posts
      : posts.unionAll(shown(repostEntries(db).where('r.user_id', '=', userId)));
  return fromEntries(db, entries);
}

/** The viewer's role in a live circle; undefined when they are not a member. */
export async function liveRoleIn(
  db: Db,
  circleId: string,
  viewer: string,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('circle_members as m')
    .innerJoin('circles as c', 'c.circle_id', 'm.circle_id')
    .select('m.role')
    .where('m.circle_id', '=', circleId)
    .where('m.user_id', '=', viewer)
    .where('m.role', '>', 0)
    .where('c.deleted', '=', false)
    .executeTakeFirst();
  return row?.role;
}

/** A circle's posts the viewer may see; those hidden there left out unless `seesHidden`. */
export function circleEntries(
  db: Db,
  circleId: string,
  viewer: string,
  now: Date,
  flags: { excludeReplies: boolean; seesHidden: boolean },
): EntryQuery {
  let entries = postEntries(db)
    .where(sql<SqlBool>`p.circle_ids @> array[${circleId}::uuid]`)
    .where(visibleTo(viewer, now))
    .where(noReplies(flags.excludeReplies));
  if (!flags.seesHidden) {
    entries = entries.where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('circle_hides as h')
            .select('h.post_id')
            .where('h.circle_id', '=', circleId)
            .where('h.active', '=', true)
            .where(sql<SqlBool>`h.post_id in (p.id, p.root_post_id)`),
        ),
      ),
    );
  }
  return fromEntries(db, entries);
}

/** Public posts with the tag; limited authors and the viewer's mutes and blocks left out. */
export function hashtagEntries(db: Db, tag: string, viewer: Viewer, now: Date): EntryQuery {
  const entries = postEntries(db)
    .where(sql<SqlBool>`p.hashtags @> array[${tag}]::text[]`)
    .where('p.audience', '=', AUDIENCE.PUBLIC)
    .where(upForOthers(now))
    .where(sql<SqlBool>`not ${limitedPost()}`)
    .where(visibleTo(viewer, now))
    .where(notMutedBy(viewer, now, sql.ref('p.author_id')));
  return fromEntries(db, entries);
}
