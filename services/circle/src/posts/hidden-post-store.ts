import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { CircleDatabase, HiddenPostsTable } from '../db/schema.js';

export type HiddenPostRow = Selectable<HiddenPostsTable>;
export type HiddenPostsDb = CircleDatabase;

/** The hide aggregate's next version (it outlives an unhide: a new hide is always newer). */
export async function nextHideVersion(
  db: Kysely<HiddenPostsDb>,
  circleId: string,
  postId: string,
): Promise<bigint> {
  const row = await db
    .insertInto('post_hide_versions')
    .values({ circle_id: circleId, post_id: postId, version: '1' })
    .onConflict((oc) =>
      oc
        .columns(['circle_id', 'post_id'])
        .doUpdateSet({ version: sql`post_hide_versions.version + 1` }),
    )
    .returning('version')
    .executeTakeFirstOrThrow();
  return BigInt(row.version);
}

/** The standing hide of the post in the circle, locked for the change that follows. */
export function lockHiddenPost(
  db: Kysely<HiddenPostsDb>,
  circleId: string,
  postId: string,
): Promise<HiddenPostRow | undefined> {
  return db
    .selectFrom('hidden_posts')
    .selectAll()
    .where('circle_id', '=', circleId)
    .where('post_id', '=', postId)
    .forUpdate()
    .executeTakeFirst();
}

/** Hides a post, or replaces the reason, note, hider and time of its standing hide. */
export function upsertHiddenPost(
  db: Kysely<HiddenPostsDb>,
  row: HiddenPostRow,
): Promise<HiddenPostRow> {
  return db
    .insertInto('hidden_posts')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['circle_id', 'post_id']).doUpdateSet({
        author_id: row.author_id,
        reason: row.reason,
        note: row.note,
        hidden_by: row.hidden_by,
        hidden_at: row.hidden_at,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Ends a hide; whether there was one. */
export async function deleteHiddenPost(
  db: Kysely<HiddenPostsDb>,
  circleId: string,
  postId: string,
): Promise<boolean> {
  const row = await db
    .deleteFrom('hidden_posts')
    .where('circle_id', '=', circleId)
    .where('post_id', '=', postId)
    .returning('post_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** ListHiddenPosts: the circle's standing hides, newest first. */
export function hiddenPostsPage(
  db: Kysely<HiddenPostsDb>,
  input: { circleId: string; pageSize: number; pageToken: string; codec: PageTokenCodec },
) {
  const query = db.selectFrom('hidden_posts').selectAll().where('circle_id', '=', input.circleId);
  return fetchPage(query, {
    columns: [
      { ref: 'hidden_at', direction: 'desc' },
      { ref: 'post_id', direction: 'desc' },
    ],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `circle.ListHiddenPosts|${input.circleId}`,
    keysOf: (row) => [row.hidden_at],
    idOf: (row) => row.post_id,
  });
}
