import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { SearchPostsRequest } from '@kith/gen/kith/post/v1/timeline_pb.js';
import type { Kysely, SqlBool } from 'kysely';
import { sql } from 'kysely';
import type { PostDatabase } from '../db/schema.js';
import { AUDIENCE } from '../db/schema.js';
import { POST_COLUMNS } from '../posts/post-store.js';
import { limitedPost, upForOthers, visibleTo } from '../posts/visibility-store.js';

type Db = Kysely<PostDatabase>;

/** The text search configuration for a BCP-47 tag (as the posts' search column chooses it). */
function searchConfig(language: string): string {
  const configs: Record<string, string> = {
    en: 'english',
    pt: 'portuguese',
    es: 'spanish',
    fr: 'french',
    de: 'german',
    it: 'italian',
    nl: 'dutch',
    sv: 'swedish',
    ru: 'russian',
  };
  return configs[language.split('-')[0]!.toLowerCase()] ?? 'simple';
}

/**
 * The posts matching a search in its scope (own; liked, reposted, bookmarked, replied to or
 * mentioned in; public posts of indexable authors) that the viewer may see, as table `m` with
 * a `rank` (ts_rank rounded to 6 places, as text, so a page token carries it exactly).
 */
export function searchMatches(db: Db, viewer: string, now: Date, req: SearchPostsRequest) {
  const config = sql.lit(searchConfig(req.language));
  const query = sql`websearch_to_tsquery(${config}::regconfig, ${req.query})`;
  const byViewer = (table: 'likes' | 'reposts' | 'bookmarks') =>
    sql<SqlBool>`exists (${db
      .selectFrom(table)
      .select('post_id')
      .where('user_id', '=', viewer)
      .where(sql<SqlBool>`post_id = p.id`)})`;
  const repliedTo = sql<SqlBool>`exists (${db
    .selectFrom('posts as c')
    .select('c.id')
    .where('c.author_id', '=', viewer)
    .where('c.deleted_at', 'is', null)
    .where(sql<SqlBool>`c.reply_to_post_id = p.id`)})`;
  const indexableAuthor = sql<SqlBool>`exists (${db
    .selectFrom('users as u')
    .select('u.user_id')
    .where('u.indexable', '=', true)
    .where(sql<SqlBool>`u.user_id = p.author_id`)})`;
  const inScope = sql<SqlBool>`(
    p.author_id = ${viewer} or ${byViewer('likes')} or ${byViewer('reposts')}
    or ${byViewer('bookmarks')} or ${repliedTo}
    or p.mentions @> ${JSON.stringify([{ user_id: viewer }])}::jsonb
    or (p.audience = ${AUDIENCE.PUBLIC} and ${upForOthers(now)} and not ${limitedPost()}
        and ${indexableAuthor}))`;
  let matches = db
    .selectFrom('posts as p')
    .select([
      ...POST_COLUMNS,
      sql<string>`round(ts_rank(p.search, ${query})::numeric, 6)::text`.as('rank'),
    ])
    .where(sql<boolean>`p.search @@ ${query}`)
    .where(inScope)
    .where(visibleTo(viewer, now));
  if (req.authorId) matches = matches.where('p.author_id', '=', req.authorId);
  if (req.language)
    matches = matches.where(
      sql<boolean>`lower(split_part(p.language, '-', 1)) = ${req.language.split('-')[0]!.toLowerCase()}`,
    );
  if (req.createdAfter)
    matches = matches.where('p.created_at', '>', timestampDate(req.createdAfter));
  if (req.createdBefore)
    matches = matches.where('p.created_at', '<', timestampDate(req.createdBefore));
  return db.selectFrom(matches.as('m')).selectAll();
}

/** Hashtags of public posts in the window, by distinct accounts, then uses. */
export async function trendingTags(db: Db, since: Date, now: Date, limit: number) {
  return db
    .selectFrom(['posts as p', sql`unnest(p.hashtags)`.as<'t'>(sql`t(tag)`)])
    .select([
      sql<string>`t.tag`.as('tag'),
      sql<number>`count(*)::int`.as('uses'),
      sql<number>`count(distinct p.author_id)::int`.as('accounts'),
    ])
    .where('p.audience', '=', AUDIENCE.PUBLIC)
    .where('p.deleted_at', 'is', null)
    .where('p.created_at', '>', since)
    .where('p.created_at', '<=', now)
    .where(sql<SqlBool>`(p.expires_at is null or p.expires_at > ${now})`)
    .where(upForOthers(now))
    .where(sql<SqlBool>`not ${limitedPost()}`)
    .groupBy(sql`t.tag`)
    .orderBy(sql`count(distinct p.author_id)`, 'desc')
    .orderBy(sql`count(*)`, 'desc')
    .orderBy(sql`t.tag`)
    .limit(limit)
    .execute();
}
