import type { Kysely, SqlBool } from 'kysely';
import { sql } from 'kysely';
import type { PostDatabase } from '../db/schema.js';
import { POST_COLUMNS } from './post-store.js';
import type { PostRecord } from './post-store.js';
import type { Viewer } from './visibility-store.js';
import { visibleTo } from './visibility-store.js';

type Db = Kysely<PostDatabase>;

/**
 * A post's direct replies the viewer may see, as table `r` with a `score` (likes, reposts and
 * replies counted together), for `fetchPage`.
 */
export function repliesOf(db: Db, parentId: string, viewer: Viewer, now: Date) {
  const replies = db
    .selectFrom('posts as p')
    .select([
      ...POST_COLUMNS,
      sql<number>`p.like_count + p.repost_count + p.reply_count`.as('score'),
    ])
    .where('p.reply_to_post_id', '=', parentId)
    .where(visibleTo(viewer, now));
  return db.selectFrom(replies.as('r')).selectAll();
}

/** The chain of ancestors up from `parentId` (the parent first), at most `height` + 1 long. */
export async function ancestorChain(
  db: Db,
  parentId: string,
  height: number,
): Promise<{ id: string; reply_to_post_id: string | null }[]> {
  const rows = await db
    .withRecursive('up(id, reply_to_post_id, n)', (qb) =>
      qb
        .selectFrom('posts')
        .select(['id', 'reply_to_post_id', sql<number>`1`.as('n')])
        .where('id', '=', parentId)
        .unionAll((u) =>
          u
            .selectFrom('posts as p')
            .innerJoin('up', 'up.reply_to_post_id', 'p.id')
            .select(['p.id', 'p.reply_to_post_id', sql<number>`up.n + 1`.as('n')])
            .where('up.n', '<=', height),
        ),
    )
    .selectFrom('up')
    .select(['id', 'reply_to_post_id'])
    .orderBy('n')
    .execute();
  return rows;
}

/**
 * The replies below `postId` the viewer may see, depth-first with the oldest first at each
 * level (the path of UUIDv7 ids sorts them), within `depth` levels, after the path `after`
 * (comma-separated ids), at most `limit`. A reply the viewer may not see hides its subtree.
 */
export async function descendants(
  db: Db,
  postId: string,
  viewer: Viewer,
  now: Date,
  options: { depth: number; after: string | undefined; limit: number },
): Promise<(PostRecord & { path_key: string; level: number })[]> {
  const { depth, after, limit } = options;
  const columns = POST_COLUMNS;
  let query = db
    .withRecursive('down', (qb) =>
      qb
        .selectFrom('posts as p')
        .select([...columns, sql<string[]>`array[p.id]`.as('path'), sql<number>`1`.as('level')])
        .where('p.reply_to_post_id', '=', postId)
        .where(visibleTo(viewer, now))
        .unionAll((u) =>
          u
            .selectFrom('posts as p')
            .innerJoin('down', 'down.id', 'p.reply_to_post_id')
            .select([
              ...columns,
              sql<string[]>`down.path || p.id`.as('path'),
              sql<number>`down.level + 1`.as('level'),
            ])
            .where('down.level', '<', depth)
            .where(visibleTo(viewer, now)),
        ),
    )
    .selectFrom('down')
    .selectAll()
    .select(sql<string>`array_to_string(path, ',')`.as('path_key'));
  if (after) query = query.where(sql<SqlBool>`path > string_to_array(${after}, ',')::uuid[]`);
  const rows = await query.orderBy('path').limit(limit).execute();
  return rows as unknown as (PostRecord & { path_key: string; level: number })[];
}
